"""Targets: the aws target's guard rails, and what the local target adds (never to cdktf.out)."""

from __future__ import annotations

import json

import pytest

import emulator
from orchestrator.targets import AwsTarget, LocalTarget, TargetError, make_target


@pytest.fixture(scope="module")
def other_account(tmp_path_factory):
    """An emulator answering as an account the configuration does not name: an AWS stand-in."""
    status = emulator.start(state_dir=tmp_path_factory.mktemp("other-account"), account_id="999999999999")
    yield status.endpoint
    emulator.stop(state_dir=tmp_path_factory.getbasetemp() / "other-account0")


def test_aws_target_refuses_the_wrong_account_naming_both(project, other_account, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", other_account)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", project.settings.aws.region)
    with pytest.raises(TargetError) as info:
        AwsTarget(project).prepare()
    assert "account 999999999999" in str(info.value) and "111111111111" in str(info.value)


def test_aws_target_refuses_the_wrong_region_naming_both(project, other_account, monkeypatch, tmp_path):
    status = emulator.start(state_dir=tmp_path / "right-account", account_id=project.settings.aws.account_id)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", status.endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        with pytest.raises(TargetError) as info:
            AwsTarget(project).prepare()
        assert "us-east-1" in str(info.value) and "eu-west-1" in str(info.value)
        monkeypatch.setenv("AWS_REGION", "eu-west-1")
        AwsTarget(project).prepare()  # the right account and region pass
    finally:
        emulator.stop(state_dir=tmp_path / "right-account")


def test_local_target_points_terraform_at_the_emulator_only_beside_the_synth(project):
    target = LocalTarget(project)
    target.endpoint = "http://127.0.0.1:1"
    override = target.override()["provider"]["aws"]
    assert target.env()["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert "endpoints" not in override  # the endpoint comes from the environment (see LocalTarget.env)
    assert "AWS_ENDPOINT_URL" not in AwsTarget(project).env()
    assert 1 < override["max_retries"] < 25  # retries a shed request, never for 15 minutes (the default 25)
    assert "access_key" not in json.dumps(override)  # credentials come from the environment
    assert target.backend_config()["use_path_style"] is True
    assert target.deployable(("aws",)) is None
    assert "gitlab" in target.deployable(("gitlab",))


def test_unknown_target_is_refused(project):
    with pytest.raises(TargetError, match="--target: expected local or aws"):
        make_target("gcp", project)


def test_local_target_signs_as_the_emulator_admin_unless_told_to_use_the_environment(project, monkeypatch):
    from emulator import LOCAL_CREDENTIALS
    from orchestrator.targets import CREDENTIALS_VARIABLE

    monkeypatch.delenv(CREDENTIALS_VARIABLE, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAPLANROLE")
    assert LocalTarget(project).env()["AWS_ACCESS_KEY_ID"] == LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    monkeypatch.setenv(CREDENTIALS_VARIABLE, "environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    env = LocalTarget(project).env()
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "ASIAPLANROLE",
        "secret",
        "token",
    )
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(TargetError, match="AWS_SECRET_ACCESS_KEY is not set"):
        LocalTarget(project).env()
    monkeypatch.setenv(CREDENTIALS_VARIABLE, "mine")
    with pytest.raises(TargetError, match="expected emulator or environment"):
        LocalTarget(project).env()


class RecordingS3:
    """A boto3 S3 client stand-in: which calls a bootstrap makes, for buckets that exist or not."""

    def __init__(self, existing: set[str]):
        import botocore.exceptions

        self.exceptions = botocore.exceptions
        self.existing, self.calls = existing, []

    def head_bucket(self, Bucket: str) -> dict:
        self.calls.append(("head_bucket", Bucket))
        if Bucket not in self.existing:
            raise self.exceptions.ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadBucket")
        return {}

    def __getattr__(self, name: str):
        def call(**kwargs):
            self.calls.append((name, kwargs["Bucket"]))
            if name == "create_bucket":
                self.existing.add(kwargs["Bucket"])

        return call


def test_every_command_only_looks_at_existing_state_buckets(project, monkeypatch):
    """LocalTarget.prepare runs for every command, plans as the read-only CI plan role included: HeadBucket
    only, unless the bucket is missing (a fresh emulator); `deploy`'s bootstrap_state fixes the rest."""
    bucket = project.settings.state.bucket
    s3 = RecordingS3({bucket})
    target = LocalTarget(project)
    monkeypatch.setattr(target, "client", lambda service, region: s3)
    assert target.create_missing_state_buckets() == []
    assert s3.calls == [("head_bucket", bucket)]

    s3 = RecordingS3(set())
    monkeypatch.setattr(target, "client", lambda service, region: s3)
    assert target.create_missing_state_buckets() == [bucket]
    assert [c for c, _ in s3.calls] == [
        "head_bucket",
        "create_bucket",
        "put_bucket_versioning",
        "put_bucket_encryption",
        "put_public_access_block",
    ]

    s3 = RecordingS3({bucket})
    monkeypatch.setattr(target, "client", lambda service, region: s3)
    assert target.bootstrap_state() == []
    assert [c for c, _ in s3.calls] == [
        "head_bucket",
        "put_bucket_versioning",
        "put_bucket_encryption",
        "put_public_access_block",
    ]
