"""One local emulator (a real ``python -m emulator.server`` process) for the compat tests of a session.

Each patch test drives the patched API with boto3 and asserts what the Terraform AWS provider
needs back. See the table in emulator/compat/__init__.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

import emulator
from emulator import EmulatorStatus
from tests.unit.compat.helpers import REGION, Client


@pytest.fixture(scope="session")
def state_dir_of(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator")


@pytest.fixture(scope="session")
def running(state_dir_of: Path) -> Iterator[EmulatorStatus]:
    status = emulator.start(state_dir=state_dir_of)
    try:
        yield status
    finally:
        emulator.stop(state_dir=state_dir_of)


@pytest.fixture(scope="session")
def client(running: EmulatorStatus) -> Client:
    config = Config(retries={"max_attempts": 1, "mode": "standard"})

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=running.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return make
