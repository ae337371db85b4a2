"""Real AWS with the usual credential chain."""

from __future__ import annotations

import os

from orchestrator.targets.base import Target, TargetError


class AwsTarget(Target):
    """Real AWS with the usual credential chain; refuses a caller in the wrong account or region."""

    name = "aws"

    def prepare(self) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        s = self.project.settings
        session = boto3.Session()
        try:
            account = session.client("sts", region_name=s.aws.region).get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as exc:
            raise TargetError(f"aws target: cannot identify the caller ({exc}); configure AWS credentials") from exc
        wanted = {e.aws.account_id for e in self.project.environments} | {s.aws.account_id}
        if account not in wanted:
            raise TargetError(
                f"aws target: the credentials are for account {account}, but the configuration deploys to "
                f"{', '.join(sorted(wanted))} (project.yaml / environments/*.yaml aws.account_id); refusing"
            )
        region = os.environ.get("AWS_REGION") or session.region_name  # Terraform reads AWS_REGION first
        if region and region != s.aws.region:
            raise TargetError(
                f"aws target: the session region is {region}, but project.yaml aws.region is "
                f"{s.aws.region}; set AWS_REGION={s.aws.region} or fix the YAML; refusing"
            )
