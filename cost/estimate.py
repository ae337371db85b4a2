"""Synthesized stacks + the validated project + price tables -> an `Estimate`. No I/O but the price files.

Each resource type with a bill has a pricer (cost/pricers.py); types known to be free are
skipped; any other AWS type is listed as not estimated, so that a module gaining e.g. a
VPC endpoint shows up as a gap rather than as a silent $0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from config.cost import CostAssumptions
from config.schema import Environment, Project
from cost.model import COUNT, CostError, Estimate, Line, StackEstimate, Value
from cost.pricers import FREE, PRICERS, Context, NotEstimated, pipeline_minutes
from cost.pricing import PriceTable, load_table
from cost.resources import region, resource_types, resources
from cost.workload import workload

TableLoader = Callable[[str], PriceTable]


def estimate(stacks: Mapping[str, dict[str, Any]], project: Project, tables: TableLoader | None = None) -> Estimate:
    """`stacks`: name -> cdk.tf.json, e.g. `cost.resources.load_stacks(outdir)`. The result lists the
    environments in release order, then the other AWS stacks, then those without AWS."""
    a = project.settings.cost
    unknown = sorted(set(a.environments) - {e.name for e in project.environments})
    if unknown:
        raise CostError(
            f"project.yaml: cost.environments: no environment {', '.join(unknown)}; "
            f"expected one of {', '.join(e.name for e in project.environments)}"
        )
    workloads = {env.name: workload(env, a) for env in project.environments}
    loaded: dict[str, PriceTable] = {}
    result = {}
    order = [e.name for e in project.environments]
    for name, stack in sorted(stacks.items(), key=lambda item: _position(item[0], item[1], order)):
        where = region(stack)
        if where is None:
            result[name] = StackEstimate(name, None, note="no AWS provider: nothing billed on AWS")
            continue
        if where not in loaded:
            loaded[where] = (tables or load_table)(where)
        ctx = Context(stack, loaded[where], a, project, workloads.get(name), workloads)
        result[name] = _stack(name, where, ctx)
    return Estimate(
        stacks=result,
        assumptions=flatten(a),
        prices={r: t.source for r, t in sorted(loaded.items())},
    )


def _position(name: str, stack: dict[str, Any], environments: list[str]) -> int:
    """Environments in release order, then the other AWS stacks, then the rest (gitlab)."""
    if name in environments:
        return environments.index(name)
    return len(environments) + (0 if region(stack) else 1)


def _stack(name: str, where: str, ctx: Context) -> StackEstimate:
    lines: list[Line] = []
    missing: list[str] = []
    for kind in resource_types(ctx.stack):
        pricer = PRICERS.get(kind)
        if pricer is None:
            if kind.startswith("aws_") and kind not in FREE:
                missing.append(f"{kind}: no pricer in cost/pricers.py")
            continue
        for address, body in resources(ctx.stack, kind):
            try:
                lines += pricer(ctx, address, body)
            except NotEstimated as exc:
                missing.append(f"{address}: {exc}")
    return StackEstimate(name, where, tuple(lines), _inputs(ctx, lines), tuple(missing))


def _inputs(ctx: Context, lines: list[Line]) -> dict[str, Value]:
    """What this stack's figure depends on, by name: the diff explains a change with these."""
    inputs: dict[str, Value] = {"aws.region": ctx.table.region}
    if ctx.workload is not None:
        inputs |= environment_inputs(ctx.workload.env)
    elif lines:  # the release; not a stack with nothing priced (access: IAM only)
        inputs["environments"] = ", ".join(ctx.workloads)
        inputs["pipeline minutes per release"] = round(pipeline_minutes(ctx), 6)
    counts = resource_types(ctx.stack)
    inputs |= {f"{kind}{COUNT}": counts[kind] for kind in PRICERS if kind in counts}
    assumptions = flatten(ctx.a)
    for name in sorted({n for line in lines for n in line.assumptions}):
        inputs[f"cost.{name}"] = assumptions[name]
    return inputs


def environment_inputs(env: Environment) -> dict[str, Value]:
    """The YAML fields an environment's cost depends on, as `section.field`."""
    svc, dep = env.service, env.deployment
    inputs: dict[str, Value] = {
        "service.cpu": svc.cpu,
        "service.memory": svc.memory,
        "service.desired_count": svc.desired_count,
        "service.min_count": svc.min_count,
        "service.max_count": svc.max_count,
        "deployment.strategy": str(dep.strategy),
        "network.tasks_in_public_subnets": env.network.tasks_in_public_subnets,
        "network.availability_zones": len(env.network.availability_zones),
        "log_retention_days": env.log_retention_days,
    }
    if dep.strategy == "blue_green":
        inputs["deployment.blue_green.deployment_config"] = str(dep.blue_green.deployment_config)
        inputs["deployment.blue_green.termination_wait_minutes"] = dep.blue_green.termination_wait_minutes
    else:
        inputs["deployment.rolling.maximum_percent"] = dep.rolling.maximum_percent
    return inputs


def flatten(a: CostAssumptions) -> dict[str, Value]:
    """Every assumption by its project.yaml path under `cost:`; per-environment traffic only where set."""
    flat: dict[str, Value] = {k: v for k, v in a.model_dump().items() if k not in ("traffic", "environments")}
    flat |= {f"traffic.{k}": v for k, v in a.traffic.model_dump().items()}
    for env, override in sorted(a.environments.items()):
        flat |= {f"environments.{env}.{k}": v for k, v in override.model_dump(exclude_unset=True).items()}
    return flat
