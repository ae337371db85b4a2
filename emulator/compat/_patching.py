"""How patches install themselves on moto, refusing when moto no longer looks as they were written for.

moto dispatches an action to the response-class method of the same snake_case name. A patch
either adds what moto lacks (`add_missing`) or wraps what moto has (`wrap_existing`); each
checks that at apply time, so that a moto that now implements a call (or renamed what a
wrapper wraps) stops the emulator with `PatchError` instead of being silently overridden.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

Original = Callable[..., Any]
"""What `wrap_existing` passes a wrapper first: moto's function, method or property getter."""


class PatchError(RuntimeError):
    """moto no longer matches what a patch was written for: re-check the patch's gap."""


def _where(owner: object, name: str) -> str:
    if isinstance(owner, type):
        return f"{owner.__module__}.{owner.__qualname__}.{name}"
    return f"{getattr(owner, '__name__', owner)}.{name}"  # a module


def add_missing(owner: object, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: install the function as ``owner.<name>`` (a class's method), which moto must not define."""

    def install(func: Callable[..., Any]) -> Callable[..., Any]:
        if hasattr(owner, name):
            raise PatchError(
                f"{_where(owner, name)} exists in this moto: moto now implements what the compat patch "
                f"{func.__qualname__} adds; check moto's version against the gap it fills and drop or adapt the patch"
            )
        func.__name__ = name
        setattr(owner, name, func)
        return func

    return install


def wrap_existing(owner: object, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: replace moto's ``owner.<name>`` (a class's method or property, a module's function)
    by the function, which receives moto's original (a property's getter) as its first argument."""

    def install(func: Callable[..., Any]) -> Callable[..., Any]:
        original = getattr(owner, name, None)  # on a class: the function, or the property itself
        if original is None:
            raise PatchError(
                f"{_where(owner, name)} does not exist in this moto: the compat patch {func.__qualname__} wraps it; "
                "check what moto's version renamed or changed and adapt the patch"
            )
        if isinstance(original, property):
            getter = original.fget
            assert getter is not None  # a property without a getter cannot be read: nothing to wrap

            @functools.wraps(getter)
            def read(self: Any) -> Any:
                return func(getter, self)

            setattr(owner, name, property(read))
            return func

        @functools.wraps(original)
        def call(*args: Any, **kwargs: Any) -> Any:
            return func(original, *args, **kwargs)

        setattr(owner, name, call)
        return func

    return install


def missing_services(*services: str) -> None:
    """Raise PatchError if moto's server now serves any of these services (a compat backend adds them)."""
    from moto.backend_index import backend_url_patterns

    known = {name.replace("-", "") for name, _ in backend_url_patterns}  # moto names its modules without dashes
    served = [service for service in services if service.replace("-", "") in known]
    if served:
        raise PatchError(
            f"moto now serves {', '.join(served)}: the compat backend that adds them would shadow moto's own; "
            "check moto's implementation against the gap and drop or adapt the patch"
        )
