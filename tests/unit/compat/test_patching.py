"""The compat layer refuses a moto it was not verified against: another version, or a patch target that changed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import moto
import pytest

import emulator
from emulator import compat
from emulator.compat._patching import Original, PatchError, add_missing, missing_services, wrap_existing


def test_another_moto_version_is_refused_naming_the_pin_and_the_gaps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(compat.MotoVersionError) as info:
        compat.check_moto_version()
    message = str(info.value)
    assert "moto 5.3.0 is installed" in message and f"verified against moto {compat.MOTO_VERSION}" in message
    assert compat.MOTO_VERSION == "5.2.5"
    assert "MOTO_IAM_LOAD_MANAGED_POLICIES" in message
    for patch in compat.PATCHES:  # every gap is named, with what it is about
        assert f"{patch.__name__}: " in message
    assert "CodeBuild UpdateProject." in message
    monkeypatch.setattr(moto, "__version__", compat.MOTO_VERSION)
    compat.check_moto_version()  # the pinned one passes


def test_the_emulator_exits_with_the_message_and_start_surfaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moto that claims another version (set by a sitecustomize before the server runs)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import moto\nmoto.__version__ = '9.9.9'\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    with pytest.raises(emulator.EmulatorError) as info:
        emulator.start(state_dir=tmp_path / "emulator", timeout=60)
    message = str(info.value)
    assert "emulator exited with code 1" in message
    assert "error: moto 9.9.9 is installed" in message and "verified against moto 5.2.5" in message
    assert not emulator.status(state_dir=tmp_path / "emulator").running
    assert moto.__version__ == compat.MOTO_VERSION  # this process's moto is untouched


class Moto:
    def existing(self) -> str:
        return "moto"

    @property
    def shape(self) -> dict[str, Any]:
        return {"created": "2026-01-01T00:00:00Z", "arn": "a"}


def test_add_missing_installs_a_missing_method_and_refuses_an_existing_one() -> None:
    class Patched(Moto):
        pass

    @add_missing(Patched, "added")
    def added(self: Patched) -> str:
        return "compat"

    assert Patched().added() == "compat"
    with pytest.raises(PatchError, match=r"Patched\.existing exists in this moto: moto now implements"):

        @add_missing(Patched, "existing")
        def existing(self: Patched) -> str:
            return "compat"

    assert Patched().existing() == "moto"  # left as moto has it


def test_wrap_existing_passes_the_original_and_refuses_a_missing_one() -> None:
    class Patched(Moto):
        pass

    @wrap_existing(Patched, "existing")
    def existing(original: Original, self: Patched) -> str:
        return f"{original(self)}+compat"

    @wrap_existing(Patched, "shape")
    def shape(original: Original, self: Patched) -> dict[str, Any]:
        return {**original(self), "created": 1767225600}

    assert Patched().existing() == "moto+compat"
    assert Patched().shape == {"created": 1767225600, "arn": "a"}
    assert Moto().existing() == "moto" and Moto().shape["created"] == "2026-01-01T00:00:00Z"  # the base is untouched
    with pytest.raises(PatchError, match=r"Patched\.renamed does not exist in this moto"):

        @wrap_existing(Patched, "renamed")
        def renamed(original: Original, self: Patched) -> str:
            return "compat"


def test_wrap_existing_wraps_a_module_function() -> None:
    import types

    module = types.ModuleType("fake_moto_responses")
    module.info = lambda group: {"group": group}

    @wrap_existing(module, "info")
    def info(original: Original, group: str) -> dict[str, Any]:
        return {**original(group), "alarmConfiguration": {}}

    assert module.info("g") == {"group": "g", "alarmConfiguration": {}}
    with pytest.raises(PatchError, match=r"fake_moto_responses\.missing does not exist"):
        wrap_existing(module, "missing")(info)


def test_a_service_the_compat_layer_adds_must_be_missing_from_moto() -> None:
    missing_services("codestar-connections", "codeconnections")  # moto 5.2.5 serves neither
    with pytest.raises(PatchError, match="moto now serves codebuild"):
        missing_services("codebuild", "codeconnections")
