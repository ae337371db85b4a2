"""One local emulator (a real ``python -m emulator.server`` process) for the compat tests of a session.

Each patch test drives the patched API with boto3 and asserts what the Terraform AWS provider
needs back. See the table in emulator/compat/__init__.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import emulator
from emulator import EmulatorStatus
from tests.unit.compat.helpers import Client, emulator_clients


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
    return emulator_clients(str(running.endpoint))
