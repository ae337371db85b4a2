"""What an environment runs in a month, from its YAML and the assumptions.

The task count is the YAML's (desired_count, or min_count plus `autoscaling_fraction` of
the range when autoscaled). A release runs extra tasks: blue_green doubles the service
from the green tasks' start through the traffic shift and the termination wait (blue
stays until then); rolling adds `maximum_percent - 100` % of it for the update.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.cost import CostAssumptions, Traffic
from config.schema import Environment
from cost.model import CostError

SHIFT_MINUTES = {
    # How long each CodeDeploy ECS configuration takes to move all traffic to green.
    "CodeDeployDefault.ECSAllAtOnce": 0,
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": 9,  # 10% at 0, 100% after nine more steps
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": 27,
    "CodeDeployDefault.ECSCanary10Percent5Minutes": 5,
    "CodeDeployDefault.ECSCanary10Percent15Minutes": 15,
}


@dataclass(frozen=True)
class Workload:
    env: Environment
    tasks: float
    """Average running tasks."""
    overlap_tasks: float
    """Extra tasks while a release deploys."""
    deploy_minutes: float
    """How long a release's deployment runs (and the pipeline's deploy action bills)."""
    deploy_detail: str
    traffic: Traffic
    traffic_names: dict[str, str]
    """Traffic field -> where its value is set (`traffic.alb_lcu` or `environments.<env>.alb_lcu`)."""
    task_assumptions: tuple[str, ...]
    """The assumptions `tasks` depends on."""


def workload(env: Environment, a: CostAssumptions) -> Workload:
    svc, dep = env.service, env.deployment
    if svc.autoscaled:
        tasks = svc.min_count + a.autoscaling_fraction * (svc.max_count - svc.min_count)
        task_assumptions: tuple[str, ...] = ("autoscaling_fraction",)
    else:
        tasks, task_assumptions = float(svc.desired_count), ()
    if dep.strategy == "blue_green":
        bg = dep.blue_green
        if str(bg.deployment_config) not in SHIFT_MINUTES:
            raise CostError(
                f"{env.name}: no traffic-shift duration for {bg.deployment_config}: add it to SHIFT_MINUTES in {__name__}"
            )
        shift = SHIFT_MINUTES[str(bg.deployment_config)]
        minutes = a.release_minutes + shift + bg.termination_wait_minutes
        detail = (
            f"release_minutes {a.release_minutes:g} + {str(bg.deployment_config).removeprefix('CodeDeployDefault.')} "
            f"shift {shift} + termination_wait_minutes {bg.termination_wait_minutes}"
        )
        overlap = tasks
    else:
        minutes, detail = a.release_minutes, f"release_minutes {a.release_minutes:g}"
        overlap = tasks * (dep.rolling.maximum_percent - 100) / 100
    override = a.environments.get(env.name)
    set_here = override.model_fields_set if override else set()
    names = {
        f: f"environments.{env.name}.{f}" if f in set_here else f"traffic.{f}" for f in type(a.traffic).model_fields
    }
    return Workload(
        env=env,
        tasks=tasks,
        overlap_tasks=overlap,
        deploy_minutes=minutes,
        deploy_detail=detail,
        traffic=a.traffic_for(env.name),
        traffic_names=names,
        task_assumptions=task_assumptions,
    )
