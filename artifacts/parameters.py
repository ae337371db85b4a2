"""The release parameters: what an environment stack hands to the release build.

A blue_green environment's stack writes `/<project>/<env>/release` (modules/codedeploy.py)
with what the appspec must carry but only Terraform knows, such as the service's network
configuration. The build reads them all with one `aws ssm get-parameters-by-path` call
(buildspecs/build.yml) and passes that output here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from config.names import names_for
from config.schema import Project, Strategy


class MissingReleaseParameter(ValueError):
    """A blue_green environment whose stack has not published its release parameter yet."""


@dataclass(frozen=True)
class ReleaseParameter:
    network: dict[str, Any] | None = None
    """ECS `awsvpcConfiguration` (subnets, securityGroups, assignPublicIp) for the appspec."""
    hooks: dict[str, str] = field(default_factory=dict)
    """Lifecycle event -> Lambda function the appspec names."""

    @classmethod
    def parse(cls, value: str) -> ReleaseParameter:
        data = json.loads(value)
        network = (data.get("networkConfiguration") or {}).get("awsvpcConfiguration")
        return cls(network=network, hooks=dict(data.get("hooks") or {}))


def from_ssm_output(project: Project, document: Mapping[str, Any]) -> dict[str, ReleaseParameter]:
    """Environment name -> its parameter, from `aws ssm get-parameters-by-path --output json`.

    Every blue_green environment must have one: without it the appspec would deploy with
    whatever network configuration the service had, so the build stops before building.
    """
    values = {p["Name"]: p["Value"] for p in document.get("Parameters", [])}
    found: dict[str, ReleaseParameter] = {}
    for env in project.environments:
        name = names_for(project.settings, env).release_parameter
        if name in values:
            found[env.name] = ReleaseParameter.parse(values[name])
        elif env.strategy is Strategy.BLUE_GREEN:
            raise MissingReleaseParameter(
                f"{env.name}: no release parameter {name}; deploy the {env.name} stack first "
                "(`python main.py deploy " + env.name + "`), which publishes it"
            )
    return found
