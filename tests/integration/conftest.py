"""One local environment for the whole integration session: deployed once, from nothing.

The emulator runs in a private state directory, and Terraform's work directories are
private too, so the suite never touches a developer's own local deployment. Every test sets up
the state it needs (or a fixture named for it does), so the suite passes in any `--order`; the
session ends by checking that no process it started is still running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration import processes

ROOT = Path(__file__).resolve().parents[2]
AWS_STACKS = ["access", "staging", "production", "release"]


@dataclass
class Deployed:
    env: dict[str, str]
    region: str
    endpoint: str = ""
    first_deploy: subprocess.CompletedProcess | None = None
    first_deploy_seconds: float = 0.0
    _clients: dict = field(default_factory=dict)

    def stop(self) -> None:
        """Stop this deployment's emulator and assert nothing it or its runs started is still running."""
        stopped = self.run("local", "stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        emulator_dir = self.env["LOCAL_EMULATOR_DIR"]
        left = processes.wait_until(lambda: processes.started_with("LOCAL_EMULATOR_DIR", emulator_dir), 60)
        assert not left, "still running after the emulator stopped: " + "; ".join(map(processes.describe, left))

    def run(self, *args: str, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "main.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )

    def popen(self, *args: str) -> subprocess.Popen:
        """The CLI in a process group of its own, so that a test can stop it and all it started."""
        return subprocess.Popen(
            [sys.executable, "main.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def client(self, service: str):
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(
                service,
                region_name=self.region,
                endpoint_url=self.endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                aws_session_token="testing",
            )
        return self._clients[service]

    def deploy(self, *stacks: str) -> subprocess.CompletedProcess:
        result = self.run("deploy", *stacks, "--auto-approve")
        assert result.returncode == 0, result.stdout + result.stderr
        return result


@pytest.fixture(scope="session")
def deployed(tmp_path_factory, project) -> Deployed:
    base = tmp_path_factory.mktemp("local-target")
    env = {
        **os.environ,
        "LOCAL_EMULATOR_DIR": str(base / "emulator"),
        "DEPLOY_CACHE_DIR": str(base / "terraform"),
        "DEPLOY_TARGET": "local",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CHECKPOINT_DISABLE": "1",
    }
    d = Deployed(env=env, region=project.settings.aws.region)
    began = time.monotonic()
    d.first_deploy = d.run("deploy", "--auto-approve", "--json", timeout=1500)
    d.first_deploy_seconds = time.monotonic() - began
    if d.first_deploy.returncode != 0:
        pytest.fail(f"deploy from nothing failed:\n{d.first_deploy.stdout}\n{d.first_deploy.stderr}", pytrace=False)
    status = d.run("local", "status", "--json")
    d.endpoint = json.loads(status.stdout)["endpoint"]
    yield d
    d.stop()


@pytest.fixture(scope="session")
def aws(deployed):
    """`aws("ecs")` -> a boto3 client against the deployed local target."""
    return deployed.client
