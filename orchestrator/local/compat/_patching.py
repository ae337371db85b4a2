"""How patches install themselves on moto's classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def add_method(cls: type, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: install the function as ``cls.<name>`` (moto dispatches an action to the
    response-class method of the same snake_case name); wrappers keep the original themselves."""

    def install(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__name__ = name
        setattr(cls, name, func)
        return func

    return install
