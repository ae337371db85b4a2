"""A local emulator for the unit tests outside compat/ that need AWS answering as AWS does (the hook,
the release rollback): started on first use, once per session, in its own state directory.

tests/unit/compat/conftest.py keeps its own (`running`, `client`), which the compat tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import emulator
from tests.unit.compat.helpers import emulator_clients


@dataclass(frozen=True)
class LocalAws:
    endpoint: str
    client: Callable[[str], Any]
    """A boto3 client of the emulator as moto's admin, in tests.unit.compat.helpers.REGION, no retries."""


@pytest.fixture(scope="session")
def local_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    state_dir = tmp_path_factory.mktemp("local-aws")
    status = emulator.start(state_dir=state_dir)
    try:
        yield LocalAws(str(status.endpoint), emulator_clients(str(status.endpoint)))
    finally:
        emulator.stop(state_dir=state_dir)
