"""Where stacks are deployed: the local emulator (default) or AWS.

A target contributes only what differs per destination: environment variables for
Terraform, backend settings given at `init`, an override file beside the synthesized
JSON (never inside cdktf.out), a preflight check, and the state-bucket bootstrap.
Everything local-only (the endpoint, moto's account, small retries) lives in LocalTarget.

The local target signs with the emulator's fake administrator credentials, unless
`LOCAL_TARGET_CREDENTIALS=environment`: then with the AWS credentials of the environment
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), e.g. a CI role's from
ci/aws_oidc.py against the emulator's STS, which is how tests/integration/test_iam.py plans
as the plan role with the emulator's IAM enforcement switched on.
"""

from __future__ import annotations

import os

from config.schema import Project
from orchestrator.targets.aws import AwsTarget
from orchestrator.targets.base import StateLocation, Target, TargetError
from orchestrator.targets.local import CREDENTIALS_VARIABLE, LocalTarget

__all__ = [
    "CREDENTIALS_VARIABLE",
    "AwsTarget",
    "LocalTarget",
    "StateLocation",
    "Target",
    "TargetError",
    "default_target_name",
    "make_target",
]


def make_target(name: str, project: Project) -> Target:
    if name == "local":
        return LocalTarget(project)
    if name == "aws":
        return AwsTarget(project)
    raise TargetError(f"--target: expected local or aws, got {name!r}")


def default_target_name() -> str:
    return os.environ.get("DEPLOY_TARGET", "local")
