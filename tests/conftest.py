"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")


@pytest.fixture(scope="session")
def project():
    from config import load_project

    return load_project(ROOT)


@pytest.fixture(scope="session")
def synth_dir() -> Path:
    """cdktf.out of the repo's configuration, synthesized once per session (or reused from cache)."""
    from synthesis.synth import synthesize

    return synthesize(ROOT).outdir


@pytest.fixture(scope="session")
def stack_json(synth_dir):
    """stack name -> its synthesized Terraform JSON."""

    def load(name: str) -> dict:
        return json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())

    return load
