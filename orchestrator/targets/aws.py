"""Real AWS with the usual credential chain."""

from __future__ import annotations

import os

from orchestrator.targets.base import Target, TargetError

GITLAB_TOKEN = "GITLAB_TOKEN"
"""Where the gitlab provider finds its token (never in the synthesized JSON)."""


class AwsTarget(Target):
    """Real AWS with the usual credential chain; refuses a caller in the wrong account or region."""

    name = "aws"

    def deployable(self, providers: tuple[str, ...]) -> str | None:
        """A gitlab stack runs only where a GitLab token exists: CI's plan job has none (so a merge request
        plans the AWS stacks and says why it left `gitlab` out); a maintainer applies it with one."""
        if "gitlab" in providers and not os.environ.get(GITLAB_TOKEN):
            return f"needs {GITLAB_TOKEN} for the gitlab provider, and this environment has none"
        return None

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
