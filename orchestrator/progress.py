"""Progress on stderr: which stack, which step, elapsed; a heartbeat for long steps.

Every step's time is also kept (`seconds_of`): the CLI's JSON output reports it per stack.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO = sys.stderr, heartbeat_seconds: float = 15.0):
        self.stream = stream
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._active: dict[tuple[str, str], float] = {}
        self._seconds: dict[str, dict[str, float]] = {}
        self._heartbeat = heartbeat_seconds
        self._stop = threading.Event()
        threading.Thread(target=self._beat, daemon=True).start()

    def say(self, stack: str, step: str, message: str) -> None:
        elapsed = time.monotonic() - self.started
        with self._lock:
            print(f"[{elapsed:6.1f}s] {stack:<12} {step:<8} {message}", file=self.stream, flush=True)

    @contextmanager
    def step(self, stack: str, step: str) -> Iterator[None]:
        began = time.monotonic()
        key = (stack, step)
        self._active[key] = began
        self.say(stack, step, "started")
        try:
            yield
        finally:
            self._active.pop(key, None)
            seconds = time.monotonic() - began
            with self._lock:
                steps = self._seconds.setdefault(stack, {})
                steps[step] = steps.get(step, 0.0) + seconds
            self.say(stack, step, f"finished in {seconds:.1f}s")

    def seconds_of(self, stack: str) -> dict[str, float]:
        """step -> seconds of every step of `stack` timed so far (a step run twice adds up)."""
        with self._lock:
            return dict(self._seconds.get(stack, {}))

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat):
            for (stack, step), began in list(self._active.items()):
                self.say(stack, step, f"still running ({time.monotonic() - began:.0f}s)")

    def close(self) -> None:
        self._stop.set()
