"""Release notifications of one environment: an SNS topic and what publishes to it.

Subscribers (the YAML's `release.notify`, e-mail) hear of:
- the pipeline: this environment's deploy stage failing or succeeding, its approval waiting (the
  Manual action STARTED) or failing, and the Source and Build stages failing (a release that will not
  reach it), from EventBridge's CodePipeline events;
- the deployment: CodeDeploy deployments of its group failing or stopped (blue_green), ECS service
  deployments failing, as when the circuit breaker rolls back (rolling);
- the rollback alarms (modules/observability.py): their ALARM and OK transitions.

The topic is encrypted with a customer-managed KMS key: the AWS-managed `aws/sns` key's policy cannot
be changed, and neither EventBridge nor CloudWatch alarms can publish to a topic encrypted with it
(they need kms:GenerateDataKey* and kms:Decrypt on the key; SNS developer guide, "Key management",
compatibility with AWS services). The topic policy admits the two services for this environment's
rules and alarms only (aws:SourceArn, aws:SourceAccount).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from config.names import arn
from modules.iam import policy

PIPELINE_STAGES_BEFORE = ("Source", "Build")
"""Stages every environment's release passes through first (modules/pipeline.py)."""


@dataclass(frozen=True)
class NotificationsProps:
    topic_name: str
    key_alias: str
    account_id: str
    region: str
    emails: list[str]
    name_prefix: str
    """`<project>-<env>`: the rules are `<prefix>-release-*`, the alarms `<prefix>-*` (topic policy scope)."""
    pipeline_name: str
    deploy_stage: str
    approval_stage: str | None
    """This environment's Manual approval stage, when it has one."""
    codedeploy_application: str | None = None
    """blue_green: CodeDeploy failures of this application and group reach the topic."""
    codedeploy_group: str | None = None
    ecs_service_arn: str | None = None
    """rolling: ECS service deployment failures (circuit-breaker rollbacks) of this service."""
    tags: dict[str, str] = field(default_factory=dict)


class Notifications(Construct):
    def __init__(self, scope: Construct, id_: str, props: NotificationsProps):
        super().__init__(scope, id_)
        p = props
        self.key = KmsKey(
            self,
            "key",
            description=f"{p.topic_name}: lets EventBridge and CloudWatch alarms publish to the encrypted topic",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=self._key_policy(p),
            tags=p.tags,
        )
        KmsAlias(self, "key-alias", name=p.key_alias, target_key_id=self.key.key_id)
        self.topic = SnsTopic(self, "topic", name=p.topic_name, kms_master_key_id=self.key.arn, tags=p.tags)
        SnsTopicPolicy(self, "topic-policy", arn=self.topic.arn, policy=self._topic_policy(p))
        for i, email in enumerate(p.emails):
            SnsTopicSubscription(self, f"email-{i}", topic_arn=self.topic.arn, protocol="email", endpoint=email)
        for what, description, pattern in self._rules(p):
            rule = CloudwatchEventRule(
                self,
                f"rule-{what}",
                name=f"{p.name_prefix}-release-{what}",
                description=description,
                event_pattern=json.dumps(pattern),
                tags=p.tags,
            )
            CloudwatchEventTarget(self, f"rule-{what}-topic", rule=rule.name, arn=self.topic.arn, target_id="topic")

    @property
    def topic_arn(self) -> str:
        return self.topic.arn

    @staticmethod
    def _rules(p: NotificationsProps) -> list[tuple[str, str, dict[str, Any]]]:
        stages = {"pipeline": [p.pipeline_name]}
        rules: list[tuple[str, str, dict[str, Any]]] = [
            (
                "pipeline",
                f"{p.deploy_stage} failed or succeeded, an earlier stage failed",
                {
                    "source": ["aws.codepipeline"],
                    "detail-type": ["CodePipeline Stage Execution State Change"],
                    "detail": {
                        **stages,
                        "$or": [
                            {"stage": [p.deploy_stage], "state": ["FAILED", "SUCCEEDED"]},
                            {
                                "stage": [*PIPELINE_STAGES_BEFORE, *([p.approval_stage] if p.approval_stage else [])],
                                "state": ["FAILED"],
                            },
                        ],
                    },
                },
            )
        ]
        if p.approval_stage:
            rules.append(
                (
                    "approval",
                    f"{p.approval_stage} waits for a person",
                    {
                        "source": ["aws.codepipeline"],
                        "detail-type": ["CodePipeline Action Execution State Change"],
                        "detail": {
                            **stages,
                            "stage": [p.approval_stage],
                            "type": {"category": ["Approval"]},
                            "state": ["STARTED"],
                        },
                    },
                )
            )
        if p.codedeploy_application and p.codedeploy_group:
            rules.append(
                (
                    "codedeploy",
                    "a CodeDeploy deployment failed or was stopped (and rolls back)",
                    {
                        "source": ["aws.codedeploy"],
                        "detail-type": ["CodeDeploy Deployment State-change Notification"],
                        "detail": {
                            "application": [p.codedeploy_application],
                            "deploymentGroup": [p.codedeploy_group],
                            "state": ["FAILURE", "STOP"],
                        },
                    },
                )
            )
        if p.ecs_service_arn:
            rules.append(
                (
                    "ecs",
                    "an ECS deployment failed (the circuit breaker rolls it back)",
                    {
                        "source": ["aws.ecs"],
                        "detail-type": ["ECS Deployment State Change"],
                        "resources": [p.ecs_service_arn],
                        "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
                    },
                )
            )
        return rules

    @staticmethod
    def _topic_policy(p: NotificationsProps) -> str:
        topic = arn("sns", p.region, p.account_id, p.topic_name)
        sources = {
            "events.amazonaws.com": arn("events", p.region, p.account_id, f"rule/{p.name_prefix}-release-*"),
            "cloudwatch.amazonaws.com": arn("cloudwatch", p.region, p.account_id, f"alarm:{p.name_prefix}-*"),
        }
        return policy(
            *(
                {
                    "Sid": f"Publish{service.split('.')[0].capitalize()}",
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sns:Publish",
                    "Resource": topic,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": p.account_id},
                        "ArnLike": {"aws:SourceArn": source},
                    },
                }
                for service, source in sources.items()
            )
        )

    @staticmethod
    def _key_policy(p: NotificationsProps) -> str:
        return policy(
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": arn("iam", "", p.account_id, "root")},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                # No aws:SourceArn condition here: the KMS requests made for EventBridge's deliveries do not
                # carry it, and every notification would be dropped; the topic policy scopes who publishes.
                # SNS calls KMS with the encryption context aws:sns:topicArn = the topic's ARN, so the key
                # serves this topic only (AWS's SNS SSE key policies use this condition, e.g. GameLift
                # FlexMatch guide, "Set up an SNS topic with server-side encryption").
                "Sid": "PublishersUseTheKey",
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:EncryptionContext:aws:sns:topicArn": arn("sns", p.region, p.account_id, p.topic_name)
                    }
                },
            },
        )
