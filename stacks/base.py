"""What every AWS stack shares: the provider (pinned account and region) and its state."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from config.schema import Aws, State
from modules.state import RemoteStateProps, remote_state


class AwsStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, aws: Aws, state: State, tags: dict[str, str]):
        super().__init__(scope, id_)
        AwsProvider(
            self,
            "aws",
            region=aws.region,
            allowed_account_ids=[aws.account_id],
            default_tags=[AwsProviderDefaultTags(tags={**tags, "stack": id_})],
        )
        remote_state(self, RemoteStateProps(bucket=state.bucket, key=state.key, region=state.region or aws.region))
