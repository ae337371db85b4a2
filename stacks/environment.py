"""One environment: network, ALB, service, alarms, dashboard and release notifications; CodeDeploy and
its AfterAllowTestTraffic hook for blue_green."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformVariable
from constructs import Construct

from config.names import IMAGE_VARIABLE, AccessNames, ReleaseNames, names_for
from config.schema import Environment, ProjectSettings, Strategy
from config.task_definition import task_definition
from modules.alb import Alb, AlbProps, listener_ports
from modules.codedeploy import CodeDeployBlueGreen, CodeDeployProps
from modules.ecs_service import EcsFargateService, EcsServiceProps
from modules.network import Network, NetworkProps
from modules.notifications import Notifications, NotificationsProps
from modules.observability import Observability, ObservabilityProps, alarm_names
from modules.release_hook import ReleaseHook, ReleaseHookProps
from stacks.assets import staged_source
from stacks.base import AwsStack


class EnvironmentStack(AwsStack):
    def __init__(self, scope: Construct, settings: ProjectSettings, env: Environment):
        tags = {**settings.tags, **env.tags}
        super().__init__(scope, env.name, aws=env.aws, state=env.state, tags=tags)
        names = names_for(settings, env)
        boundary = AccessNames(settings.name).boundary_arn(env.aws.account_id)  # of every role (the access stack)
        image = TerraformVariable(
            self,
            IMAGE_VARIABLE,
            type="string",
            nullable=False,
            description="Image of the service's container: what runs now (the last release), or the bootstrap "
            "image before the first one. `python main.py` reads it from the live service; there is no default, "
            "so no other tool can deploy a stale one by accident.",
        )
        svc, dep = env.service, env.deployment
        public_ports, internal_ports = listener_ports(
            dep.strategy,
            env.listener.port,
            dep.blue_green.test_listener_port,
            env.listener.certificate_arn,
        )
        network = Network(
            self,
            "network",
            NetworkProps(
                name=names.prefix,
                account_id=env.aws.account_id,
                vpc_cidr=env.network.vpc_cidr,
                availability_zones=env.network.availability_zones,
                public_subnets=env.network.public_subnets,
                private_subnets=env.network.private_subnets,
                container_port=svc.container_port,
                public_ports=public_ports,
                internal_ports=internal_ports,
                tasks_in_public_subnets=env.network.tasks_in_public_subnets,
                flow_log_retention_days=env.log_retention_days,
                permissions_boundary=boundary,
            ),
        )
        alb = Alb(
            self,
            "alb",
            AlbProps(
                name=names.alb,
                strategy=dep.strategy,
                vpc_id=network.vpc.id,
                subnet_ids=[s.id for s in network.public_subnets],
                security_group_id=network.alb_security_group.id,
                container_port=svc.container_port,
                health_check_path=svc.health_check_path,
                listener_port=env.listener.port,
                test_listener_port=dep.blue_green.test_listener_port,
                certificate_arn=env.listener.certificate_arn,
                ssl_policy=env.listener.ssl_policy,
                deregistration_delay_seconds=svc.deregistration_delay_seconds,
            ),
        )
        ecs = EcsFargateService(
            self,
            "ecs",
            EcsServiceProps(
                cluster_name=names.cluster,
                service_name=names.ecs_service,
                execution_role_name=names.execution_role,
                task_role_name=names.task_role,
                account_id=env.aws.account_id,
                region=env.aws.region,
                task_definition=task_definition(settings, env, image.string_value),
                log_group_name=names.log_group,
                log_retention_days=env.log_retention_days,
                image_repository=svc.image_repository,
                subnet_ids=network.task_subnet_ids,
                security_group_id=network.task_security_group.id,
                assign_public_ip=env.network.tasks_in_public_subnets,
                target_group_arn=alb.first_target_group.arn,
                routing=alb.routing,
                container_name=names.container,
                container_port=svc.container_port,
                strategy=dep.strategy,
                rolling=dep.rolling,
                desired_count=svc.desired_count,
                min_count=svc.min_count,
                max_count=svc.max_count,
                cpu_target_percent=svc.cpu_target_percent,
                permissions_boundary=boundary,
                deployment_alarm_names=(
                    alarm_names(names.prefix, list(alb.target_groups)) if dep.strategy is Strategy.ROLLING else []
                ),
                depends_on=[alb.production_listener],
            ),
        )
        release = ReleaseNames(settings.name)
        notifications = Notifications(
            self,
            "notifications",
            NotificationsProps(
                topic_name=names.release_topic,
                key_alias=names.release_key_alias,
                account_id=env.aws.account_id,
                region=env.aws.region,
                emails=list(env.release.notify),
                name_prefix=names.prefix,
                pipeline_name=release.pipeline,
                deploy_stage=release.deploy_stage(env.name),
                approval_stage=release.approval_stage(env.name) if env.release.approval_emails else None,
                codedeploy_application=names.codedeploy_app if dep.strategy is Strategy.BLUE_GREEN else None,
                codedeploy_group=names.codedeploy_group if dep.strategy is Strategy.BLUE_GREEN else None,
                ecs_service_arn=ecs.service.id if dep.strategy is Strategy.ROLLING else None,
            ),
        )
        observability = Observability(
            self,
            "observability",
            ObservabilityProps(
                name=names.prefix,
                region=env.aws.region,
                load_balancer_arn_suffix=alb.lb.arn_suffix,
                target_group_arn_suffixes={c: tg.arn_suffix for c, tg in alb.target_groups.items()},
                cluster_name=names.cluster,
                service_name=names.ecs_service,
                alarms=env.alarms,
                notify_topic_arns=[notifications.topic_arn],
            ),
        )
        if dep.strategy is Strategy.ROLLING:  # its deployment alarms exist before ECS is told to watch them
            ecs.service.depends_on = [
                *(ecs.service.depends_on or []),
                *(f"{a.terraform_resource_type}.{a.friendly_unique_id}" for a in observability.alarms),
            ]
        if dep.strategy is Strategy.BLUE_GREEN:
            hook = (
                ReleaseHook(
                    self,
                    "release-hook",
                    ReleaseHookProps(
                        name=names.release_hook,
                        account_id=env.aws.account_id,
                        region=env.aws.region,
                        code_dir=staged_source(self, "release-hook", "hooks", ["after_allow_test_traffic"]),
                        vpc_id=network.vpc.id,
                        vpc_cidr=env.network.vpc_cidr,
                        subnet_ids=[s.id for s in network.private_subnets],
                        test_listener_port=dep.blue_green.test_listener_port,
                        test_listener_protocol="HTTPS" if env.listener.certificate_arn else "HTTP",
                        health_path=svc.health_check_path,
                        smoke_paths=[(s.path, s.status) for s in dep.blue_green.smoke_paths],
                        load_balancer_arn_suffix=alb.lb.arn_suffix,
                        load_balancer_dns=alb.lb.dns_name,
                        container_name=names.container,
                        codedeploy_application=names.codedeploy_app,
                        codedeploy_group=names.codedeploy_group,
                        log_retention_days=env.log_retention_days,
                        permissions_boundary=boundary,
                        endpoints=env.network.tasks_in_public_subnets,  # no NAT: the hook reaches AWS through them
                        endpoints_security_group_name=names.endpoints_security_group,
                    ),
                )
                if dep.blue_green.hook
                else None
            )
            CodeDeployBlueGreen(
                self,
                "codedeploy",
                CodeDeployProps(
                    application_name=names.codedeploy_app,
                    deployment_group_name=names.codedeploy_group,
                    role_name=names.codedeploy_role,
                    account_id=env.aws.account_id,
                    cluster_name=names.cluster,
                    service_name=names.ecs_service,
                    production_listener_arn=alb.listener_arns["production"],
                    test_listener_arn=alb.listener_arns["test"],
                    blue_target_group_name=alb.target_groups["blue"].name,
                    green_target_group_name=alb.target_groups["green"].name,
                    settings=dep.blue_green,
                    release_parameter_name=names.release_parameter,
                    task_subnet_ids=network.task_subnet_ids,
                    task_security_group_ids=[network.task_security_group.id],
                    assign_public_ip=env.network.tasks_in_public_subnets,
                    task_role_arns=[ecs.task_role.arn, ecs.execution_role.arn],
                    permissions_boundary=boundary,
                    alarm_names=observability.alarm_names,
                    hooks={"AfterAllowTestTraffic": hook.function_name} if hook else {},
                    hook_function_arns=[hook.function_arn] if hook else [],
                    depends_on=[ecs.service],
                ),
            )
        scheme = "https" if env.listener.certificate_arn else "http"
        TerraformOutput(self, "url", value=f"{scheme}://{alb.lb.dns_name}")
        TerraformOutput(self, "cluster", value=ecs.cluster.name)
        TerraformOutput(self, "service", value=ecs.service.name)
        TerraformOutput(self, "strategy", value=str(dep.strategy))
