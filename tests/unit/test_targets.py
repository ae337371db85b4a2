"""Targets: the aws target's guard rails, and what the local target adds (never to cdktf.out)."""

from __future__ import annotations

import json

import pytest

from orchestrator.local import emulator
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
    assert override["max_retries"] == 2
    assert "access_key" not in json.dumps(override)  # credentials come from the environment
    assert target.backend_config()["use_path_style"] is True
    assert target.deployable(("aws",)) is None
    assert "gitlab" in target.deployable(("gitlab",))


def test_unknown_target_is_refused(project):
    with pytest.raises(TargetError, match="--target: expected local or aws"):
        make_target("gcp", project)
