"""The emulator's lifecycle: start (idempotent), status, stop, and the account it serves."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

import emulator
from emulator import MOTO_ACCOUNT_ID, EmulatorStatus
from tests.unit.compat.helpers import REGION, Client, answers


def test_start_is_idempotent(running: EmulatorStatus, state_dir_of: Path) -> None:
    again = emulator.start(state_dir=state_dir_of)
    assert again == running
    assert again.running and again.pid == running.pid and again.endpoint == running.endpoint


def test_status_json_shape(running: EmulatorStatus, state_dir_of: Path) -> None:
    report = emulator.status(state_dir=state_dir_of).to_json()
    assert report == {"running": True, "endpoint": running.endpoint, "pid": running.pid}
    assert report["endpoint"].startswith("http://127.0.0.1:")
    recorded = json.loads((state_dir_of / "emulator.json").read_text())
    assert recorded["pid"] == running.pid and recorded["endpoint"] == running.endpoint
    assert recorded["endpoint"].endswith(f":{recorded['port']}")


def test_sts_answers_as_moto_account(client: Client) -> None:
    assert client("sts").get_caller_identity()["Account"] == MOTO_ACCOUNT_ID == "123456789012"


def test_stop_really_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_EMULATOR_DIR", str(tmp_path))  # honoured when no state_dir is given
    started = emulator.start(account_id="111111111111")
    assert started.running and (tmp_path / "emulator.json").exists()
    assert emulator.status().running
    sts = boto3.client(
        "sts",
        endpoint_url=started.endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert sts.get_caller_identity()["Account"] == "111111111111"  # the configured account

    assert emulator.stop() is True
    assert started.endpoint is not None and not answers(started.endpoint)
    assert emulator.status() == EmulatorStatus(running=False, endpoint=None, pid=None)
    assert not (tmp_path / "emulator.json").exists()
    assert emulator.stop() is False


def test_status_without_emulator(tmp_path: Path) -> None:
    assert emulator.status(state_dir=tmp_path).to_json() == {
        "running": False,
        "endpoint": None,
        "pid": None,
    }
