"""The release engine's rules that can be checked without a deployment (the rest: test_rehearsal.py)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from emulator.engine import build
from emulator.engine.codedeploy import traffic_steps
from emulator.engine.rollouts import threshold
from tests.unit.compat.helpers import Client


def test_traffic_steps_follow_the_deployment_configuration() -> None:
    # CodeDeploy user guide, "Deployment configurations on an Amazon ECS compute platform".
    assert traffic_steps("CodeDeployDefault.ECSCanary10Percent5Minutes") == [(10.0, 5.0), (100.0, 0.0)]
    assert traffic_steps("CodeDeployDefault.ECSLinear10PercentEvery3Minutes")[:2] == [(10.0, 3.0), (20.0, 3.0)]
    assert traffic_steps("CodeDeployDefault.ECSLinear10PercentEvery3Minutes")[-1] == (100.0, 0.0)
    assert traffic_steps("CodeDeployDefault.ECSAllAtOnce") == [(100.0, 0.0)]


def test_circuit_breaker_threshold() -> None:
    # ECS developer guide: "the failure threshold ... 0.5 times the desired task count ... minimum 3, maximum 200".
    assert [threshold(n) for n in (1, 2, 6, 7, 10, 1000)] == [3, 3, 3, 4, 5, 200]


def _source(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_build_runs_its_phases_in_one_shell_and_collects_its_artifacts(tmp_path: Path) -> None:
    spec = {
        "version": 0.2,
        "env": {"variables": {"GREETING": "hello"}},
        "phases": {
            "install": {"commands": ["export CARRIED=$GREETING-$COMMIT_ID"]},
            "build": {"commands": ["mkdir -p out/sub", 'echo "$CARRIED $CODEBUILD_BUILD_SUCCEEDING" > out/sub/a.txt']},
        },
        "artifacts": {"base-directory": "out", "files": ["**/*"]},
    }
    done = build.run(
        tmp_path, _source({"spec.yml": json.dumps(spec)}), "spec.yml", {"COMMIT_ID": "abc"}, {}, tmp_path / "i", 60
    )
    assert done.artifact is not None
    with zipfile.ZipFile(io.BytesIO(done.artifact)) as archive:
        assert archive.read("sub/a.txt").decode().strip() == "hello-abc 1"


def test_a_failing_command_aborts_the_build_before_post_build(tmp_path: Path) -> None:
    spec = {
        "version": 0.2,
        "phases": {
            "pre_build": {"on-failure": "ABORT", "commands": ["true", "exit 3"]},
            "post_build": {"commands": ["touch pushed"]},
        },
    }
    with pytest.raises(build.BuildFailed, match=r"pre_build command 2: exit 3"):
        build.run(tmp_path, _source({"spec.yml": json.dumps(spec)}), "spec.yml", {}, {}, tmp_path / "i", 60)
    assert not (tmp_path / "src" / "pushed").exists()


def test_a_secure_transport_deny_admits_requests(client: Client) -> None:
    """AWS's advised bucket policy (deny when aws:SecureTransport is false) admits TLS requests, as the
    emulator's stand in for; moto 5.2.5 refused every object request with 403."""
    s3 = client("s3")
    s3.create_bucket(Bucket="secure-transport", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::secure-transport", "arn:aws:s3:::secure-transport/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="secure-transport", Policy=json.dumps(deny))
    s3.put_object(Bucket="secure-transport", Key="k", Body=b"v")
    assert s3.get_object(Bucket="secure-transport", Key="k")["Body"].read() == b"v"


def test_injected_faults_are_bounded_seeded_and_retried(running) -> None:
    """A share of requests answered 503 (throttling), at most `max`; an SDK in the standard retry mode
    (as every client the project runs) gets every answer, one that does not retry sees the faults."""
    import urllib.request

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def faults(body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{running.endpoint}/moto-api/faults", data=data)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return dict(json.loads(answer.read()))

    def sts(attempts: int):  # total attempts, the first included
        return boto3.client(
            "sts",
            region_name="eu-west-1",
            endpoint_url=running.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
        )

    retrying, plain = sts(5), sts(1)
    faults({"rate": 0.5, "seed": 7, "max": 4})
    try:
        for _ in range(12):
            assert retrying.get_caller_identity()["Account"]
        assert faults()["injected"] == 4  # bounded: at 50% twelve calls would draw more
        faults({"rate": 0.5, "seed": 7, "max": 4})
        failed = []
        for _ in range(12):
            try:
                plain.get_caller_identity()
            except ClientError as exc:
                failed.append((exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"]))
    finally:
        faults({"rate": 0})
    assert failed == [(503, "Throttling")] * 4
