"""A first apply killed early, half-way and late converges after `unlock` + `deploy`, with nothing twice.

The environment killed is this module's own (`rescue`: staging's copy with its own CIDRs and state key,
blue_green without NAT, so the release hook, its interface endpoints with private DNS and the
notification topic's KMS key are in it), deployed beside the session's deployment and destroyed after.
Each first apply is SIGKILLed with its whole process group (Terraform and its provider plugin) once the
emulator shows a chosen resource (a KMS key, an endpoint, the hook function): what the run created since
its last state write is then in the cloud and not in the state. The emulator refuses a second private-DNS
endpoint and a second policy of a name as AWS does (emulator/compat/duplicates.py), and moto refuses a
second function or alias by itself, so a recovery that re-creates instead of adopting fails here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from tests.integration.conftest import ROOT, Deployed

ENV = "rescue"
PREFIX = f"acme-web-{ENV}"
STATE_BUCKET = "acme-web-tfstate-111111111111"
STATE_KEY = f"acme-web/{ENV}.tfstate"
KEY_DESCRIPTION = f"{PREFIX}-release: "
HOOK = f"{PREFIX}-release-hook"
ENDPOINT_SERVICES = ("codedeploy", "ecs", "ec2")  # modules/release_hook.py
IMPORTED = re.compile(r"\b((?:aws|terraform)_[a-z0-9_]+\.\S+) exists \(.*\): importing it")


@dataclass
class Rescue:
    """The `rescue` environment's copy of environments/ and the CLI run against it."""

    path: Path
    deployed: Deployed
    cache: Path

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return self.deployed.run(*args, "--environments", str(self.path), timeout=timeout)

    def popen_deploy(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "main.py", "deploy", ENV, "--auto-approve", "--environments", str(self.path)],
            cwd=ROOT,
            env=self.deployed.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def release_locks(self) -> list[str]:
        """Release every lock the plan reports (a killed run's); the stacks released."""
        plan = self.run("plan", ENV, "release", "--json")
        locked = list(json.loads(plan.stdout or "{}").get("locks", {}))
        for stack in locked:
            unlocked = self.run("unlock", stack, "--force")
            assert unlocked.returncode == 0, unlocked.stdout + unlocked.stderr
        return locked


def write_rescue(path: Path) -> None:
    staging = yaml.safe_load((path / "staging.yaml").read_text())
    env = json.loads(json.dumps(staging).replace("10.10.", "10.50."))
    env["state"]["key"] = STATE_KEY
    env["deployment"]["strategy"] = "blue_green"
    env["network"]["tasks_in_public_subnets"] = True  # no NAT: the hook's interface endpoints
    env["release"] = {"order": 9, "notify": ["team@example.com"]}
    env["tags"] = {"environment": ENV}
    (path / f"{ENV}.yaml").write_text(yaml.safe_dump(env))


@pytest.fixture(scope="module")
def rescue(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rescue]:
    path = tmp_path_factory.mktemp("rescue-environments")
    shutil.copytree(ROOT / "environments", path, dirs_exist_ok=True)
    write_rescue(path)
    r = Rescue(path, deployed, Path(deployed.env["DEPLOY_CACHE_DIR"]) / "local")
    # The pipeline's stage for rescue first: the killed runs then apply the environment alone.
    released = r.run("deploy", "release", "--auto-approve")
    assert released.returncode == 0, released.stdout + released.stderr
    yield r
    _stop_applies(r.cache)
    r.release_locks()
    destroyed = r.run("destroy", ENV, "--auto-approve")
    restored = deployed.run("deploy", "release", "--auto-approve")  # the repository's stages again
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert restored.returncode == 0, restored.stdout + restored.stderr


def _live_keys(aws) -> list[dict[str, Any]]:
    kms = aws("kms")
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    return [
        k
        for k in keys
        if str(k.get("Description", "")).startswith(KEY_DESCRIPTION) and k["KeyState"] != "PendingDeletion"
    ]


def _live_endpoints(aws) -> list[dict[str, Any]]:
    endpoints = aws("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    return [
        e
        for e in endpoints
        if any(t["Key"] == "Name" and t["Value"].startswith(PREFIX) for t in e.get("Tags", []))
        and e["State"].lower() not in ("deleted", "deleting")
    ]


def _hook_exists(aws) -> bool:
    try:
        aws("lambda").get_function(FunctionName=HOOK)
    except ClientError:
        return False
    return True


def _watched(aws) -> dict[str, int]:
    """How many of each type that a re-run would fail on or duplicate the environment has in the cloud."""
    aliases = [a["AliasName"] for page in aws("kms").get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    return {
        "aws_kms_key": len(_live_keys(aws)),
        "aws_kms_alias": aliases.count(f"alias/{PREFIX}-release"),
        "aws_vpc_endpoint": len(_live_endpoints(aws)),
        "aws_lambda_function": int(_hook_exists(aws)),
    }


KILL_POINTS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "early": ("aws_kms_key", lambda aws: bool(_live_keys(aws))),
    "middle": ("aws_vpc_endpoint", lambda aws: bool(_live_endpoints(aws))),
    "late": ("aws_lambda_function", _hook_exists),
}
"""When to kill the first apply: the resource type the emulator must show first, and how to see it."""


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_first_apply_converges_after_unlock_with_nothing_twice(rescue: Rescue, aws, point: str):
    kind, created = KILL_POINTS[point]
    assert not aws("ec2").describe_vpcs(Filters=[{"Name": "tag:stack", "Values": [ENV]}])["Vpcs"], "not a first apply"
    cli = rescue.popen_deploy()
    try:
        _kill_when(aws, cli, created, rescue.cache)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
        cli.wait(timeout=30)

    in_cloud, in_state = _watched(aws), _state_addresses(aws)
    assert in_cloud[kind] > 0
    assert ENV in rescue.release_locks()  # the killed apply's lock, and any other the run left
    recovered = rescue.run("deploy", ENV, "--auto-approve")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    imported = sorted(IMPORTED.findall(recovered.stderr))
    print(f"{point}: in the cloud {in_cloud}, in the state {sorted(in_state)}, imported {imported}")
    for watched, count in in_cloud.items():  # what the kill left outside the state, and only that, was adopted
        adopted = sum(a.startswith(f"{watched}.") for a in imported)
        assert adopted == count - sum(a.startswith(f"{watched}.") for a in in_state), (watched, recovered.stderr)

    assert len(_live_keys(aws)) == 1
    functions = [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]]
    assert [f for f in functions if f.startswith(PREFIX)] == [HOOK]
    services = sorted(e["ServiceName"].rsplit(".", 1)[-1] for e in _live_endpoints(aws))
    assert services == sorted(ENDPOINT_SERVICES)
    assert len(aws("ec2").describe_vpcs(Filters=[{"Name": "tag:stack", "Values": [ENV]}])["Vpcs"]) == 1
    clean = rescue.run("plan", ENV, "release", "--detailed-exitcode")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    destroyed = rescue.run("destroy", ENV, "--auto-approve")  # the next kill point is a first apply again
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert not _live_keys(aws) and not _live_endpoints(aws) and not _hook_exists(aws)


def _kill_when(aws, cli: subprocess.Popen, created: Callable[[Any], bool], cache: Path, timeout: float = 600) -> None:
    """SIGKILL every process group of the run (the CLI's, each Terraform's with its provider plugin) as soon as
    `created(aws)`; then nothing of it may be left."""
    deadline = time.monotonic() + timeout
    while not created(aws):
        assert cli.poll() is None, "the deploy ended before the kill point: nothing was killed"
        assert time.monotonic() < deadline, "the kill point never came"
        time.sleep(0.2)
    groups = _groups(_processes_under(cache)) | {cli.pid}
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    cli.wait(timeout=30)
    _wait(lambda: not _processes_under(cache) and not _alive(groups), "killed processes are still running")


def _processes_under(directory: Path) -> list[int]:
    """Processes (Terraform, its provider plugins) whose working directory is in `directory`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            zombie = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:  # it ended while we looked
            continue
        if not zombie and cwd.is_relative_to(directory.resolve()):
            found.append(int(entry.name))
    return found


def _groups(pids: list[int]) -> set[int]:
    """The process groups of `pids` (Terraform runs each in its own session), never this test's own."""
    groups = set()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    return groups - {os.getpgrp()}


def _alive(groups: set[int]) -> bool:
    for group in groups:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            return True
        return True
    return False


def _wait(condition: Callable[[], bool], message: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def _stop_applies(cache: Path) -> None:
    """After a failure half-way: no process of a killed run may hold a lock the teardown releases."""
    for group in _groups(_processes_under(cache)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    _wait(lambda: not _processes_under(cache), "processes under the Terraform cache survive SIGKILL")


def _state_addresses(aws) -> set[str]:
    """The addresses in the environment's state as the killed run left it (none if it never wrote one)."""
    try:
        body = aws("s3").get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read()
    except ClientError:
        return set()
    state = json.loads(body or b"{}")
    return {f"{r['type']}.{r['name']}" for r in state.get("resources", []) if r.get("mode") == "managed"}
