"""Print `export AWS_...=...` lines with temporary credentials for a role, obtained with
the GitLab job's OIDC token through sts:AssumeRoleWithWebIdentity (ci/aws-oidc.sh evals them).

    python ci/aws_oidc.py ROLE_ARN          # token from $AWS_ID_TOKEN

The call is unsigned (the token is the proof), so no AWS credentials are needed to make
it. AWS_ENDPOINT_URL_STS (honoured by boto3) points it at an emulator in tests.
"""

from __future__ import annotations

import os
import re
import shlex
import sys


def session_name(env: dict[str, str]) -> str:
    """gitlab-<project id>-<job id>: CloudTrail shows which job acted (2-64 chars of [\\w+=,.@-])."""
    name = "-".join(["gitlab", env.get("CI_PROJECT_ID", "local"), env.get("CI_JOB_ID", str(os.getpid()))])
    return re.sub(r"[^\w+=,.@-]", "-", name)[:64]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].startswith("arn:"):
        print("usage: aws_oidc.py ROLE_ARN (an arn:aws:iam::...:role/... ARN)", file=sys.stderr)
        return 2
    token = os.environ.get("AWS_ID_TOKEN", "")
    if not token:
        print(
            "aws-oidc: $AWS_ID_TOKEN is empty: the job needs `id_tokens: AWS_ID_TOKEN: aud: ...` "
            "(the .aws template in .gitlab-ci.yml)",
            file=sys.stderr,
        )
        return 1

    import boto3  # after the argument checks: an import costs ~0.3 s
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    sts = boto3.client("sts", region_name=region, config=Config(signature_version=UNSIGNED))
    try:
        creds = sts.assume_role_with_web_identity(
            RoleArn=argv[1],
            RoleSessionName=session_name(dict(os.environ)),
            WebIdentityToken=token,
            DurationSeconds=int(os.environ.get("AWS_ROLE_DURATION_SECONDS", "3600")),
        )["Credentials"]
    except (BotoCoreError, ClientError) as exc:
        print(f"aws-oidc: cannot assume {argv[1]} with the job's OIDC token: {exc}", file=sys.stderr)
        return 1
    exports = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(value)}")
    print(f"aws-oidc: assumed {argv[1]} until {creds['Expiration']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
