"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
ORDERS = "file, reverse or random:SEED (SEED an integer)"


def order(value: str) -> str:
    """`--order`'s value, checked: a typo must not silently run the suite in file order."""
    kind, _, seed = value.partition(":")
    if (kind in ("file", "reverse") and not seed) or (kind == "random" and seed.lstrip("-").isdigit()):
        return value
    raise argparse.ArgumentTypeError(f"expected {ORDERS}, got {value!r}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--order",
        type=order,
        default="file",
        help=f"run the collected tests in this order: {ORDERS}. Tests marked `last` stay last. "
        "Every test must pass in any of them (docs/testing.md).",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"order: {config.getoption('order')}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Reorder after every other hook; then tests marked `last` (destroy) move to the end, in their order."""
    kind, _, seed = config.getoption("order").partition(":")
    if kind == "reverse":
        items.reverse()
    elif kind == "random":
        random.Random(int(seed)).shuffle(items)
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)  # stable: the rest keep their order


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
