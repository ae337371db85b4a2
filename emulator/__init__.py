"""The local AWS: moto's server, patched to answer (and refuse) as AWS does, run detached.

A product of its own: it knows nothing of the orchestrator, whose local target is its one
client, through this module's names only. The compatibility table, the emulator's front
page, is :mod:`emulator.compat`.
"""

from emulator.control import (
    LOCAL_CREDENTIALS,
    LOG_FILE,
    MOTO_ACCOUNT_ID,
    EmulatorError,
    EmulatorStatus,
    log_tail,
    start,
    status,
    stop,
)

__all__ = [
    "LOCAL_CREDENTIALS",
    "LOG_FILE",
    "MOTO_ACCOUNT_ID",
    "EmulatorError",
    "EmulatorStatus",
    "log_tail",
    "start",
    "status",
    "stop",
]
