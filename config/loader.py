"""Read `project.yaml` and `environments/*.yaml` into a validated `Project`.

Every error from every file is collected and rendered as `file: field: expected ...`,
so a user fixes them in one pass and no traceback is ever shown for a config mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from config.schema import Environment, Project, ProjectSettings

PROJECT_FILE = "project.yaml"
ENVIRONMENTS_DIR = "environments"


class ConfigError(Exception):
    """A user mistake in configuration; `str()` is the message to print."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in problems))


def load_project(root: Path | str = ".", environments_dir: Path | str | None = None) -> Project:
    """`environments_dir` lets a benchmark point at generated environments outside the repo."""
    root = Path(root)
    env_dir = Path(environments_dir) if environments_dir else root / ENVIRONMENTS_DIR
    problems: list[str] = []
    settings = _validate(root / PROJECT_FILE, ProjectSettings, {}, problems)
    files = sorted(env_dir.glob("*.yaml")) if env_dir.is_dir() else []
    if not files:
        problems.append(f"{env_dir}: expected at least one <environment>.yaml")
    environments = [env for f in files if (env := _validate(f, Environment, {"name": f.stem}, problems))]
    if settings and environments and not problems:
        problems += _cross_check(settings, environments, files)
    if problems:
        raise ConfigError(problems)
    environments.sort(key=lambda e: e.release.order)
    return Project(settings=settings, environments=tuple(environments))


def _validate(path: Path, model: Any, injected: dict[str, Any], problems: list[str]) -> Any:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
        return None
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML: {exc}".replace("\n", " "))
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping at the top level")
        return None
    for key in injected:
        if key in data:
            problems.append(f"{path}: {key}: not allowed (it comes from the file name)")
            return None
    try:
        return model.model_validate({**data, **injected})
    except ValidationError as exc:
        problems += [f"{path}: {_render(err)}" for err in exc.errors()]
        return None


def _render(err: ErrorDetails) -> str:
    """`network.public_subnets: expected ... (got ...)` from one pydantic error."""
    loc = [str(part) for part in err["loc"]]
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "expected")
    head, sep, rest = msg.partition(": ")
    if sep and head.replace("_", "").replace(".", "").isalnum() and " " not in head:
        loc, msg = [*loc, head], rest
    if err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling)"
    elif "input" in err and err["type"] not in ("value_error",) and not isinstance(err["input"], (dict, list)):
        msg = f"{msg} (got {err['input']!r})"
    return f"{'.'.join(loc) or '<top level>'}: {msg}"


def _cross_check(settings: ProjectSettings, environments: list[Environment], files: list[Path]) -> list[str]:
    """Rules that span files: one release, one image, one account for the pipeline."""
    problems = []
    by_name = {f.stem: f for f in files}
    orders: dict[int, str] = {}
    keys = {
        (settings.state.bucket, settings.state.key): PROJECT_FILE,
        (settings.state.bucket, settings.gitlab.state_key): PROJECT_FILE,
    }
    repo = environments[0].service.image_repository
    for env in environments:
        where = by_name[env.name]
        if env.release.order in orders:
            problems.append(
                f"{where}: release.order: expected a unique order, {env.release.order} is also used by {orders[env.release.order]}"
            )
        orders[env.release.order] = env.name
        if (env.state.bucket, env.state.key) in keys:
            problems.append(
                f"{where}: state.key: expected a key of its own, {env.state.key} is also used by {keys[(env.state.bucket, env.state.key)]}"
            )
        keys[(env.state.bucket, env.state.key)] = env.name
        if env.service.image_repository != repo:
            problems.append(
                f"{where}: service.image_repository: expected {repo!r} like every environment (one build is promoted)"
            )
        if env.aws != settings.aws:
            problems.append(
                f"{where}: aws: expected account {settings.aws.account_id} in {settings.aws.region} like {PROJECT_FILE} "
                "(the pipeline does not deploy across accounts or regions)"
            )
    return problems
