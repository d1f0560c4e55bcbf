"""InterruptionQueue: the SQS queue Karpenter reads EC2 interruption events from, and the rules that fill it.

Without it Karpenter learns of a spot reclaim only when the node disappears: the two-minute warning is lost
and a training job dies mid-step. With it, Karpenter cordons and drains the node when EC2 announces the
interruption, launches the replacement at once, and honours rebalance recommendations and scheduled health
events. One EventBridge rule per event kind targets the queue; the queue policy admits only EventBridge (and
SQS itself) as senders and refuses any request without TLS. Messages older than five minutes are useless
(the instance is gone), so the queue keeps them 300 seconds. SQS-managed server-side encryption is on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .._base import child_opts
from ._util import name_tags, policy_output

TOKEN = "mlstack:aws:InterruptionQueue"

#: Rule key -> (event source, detail-type): every EC2 event that ends or endangers a Karpenter node.
EVENTS: dict[str, tuple[str, str]] = {
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "reservation-interruption": ("aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
}
TARGET_ID = "interruption-queue"


@dataclass(frozen=True, kw_only=True)
class InterruptionQueueArgs:
    """Arguments of :class:`InterruptionQueue`.

    Attributes:
        queue_name: the queue's name; None lets Pulumi auto-name it from the component's name. Karpenter's
            ``settings.interruptionQueue`` takes the name.
        message_retention_seconds: how long an unread event is kept; default 300 (an interruption warning
            is worth nothing after the two minutes it announces).
        tags: tags for the queue and rules, merged with ``Name``.
    """

    queue_name: str | None = None
    message_retention_seconds: int = 300
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 60 <= self.message_retention_seconds <= 1209600:
            raise ValueError(f"message_retention_seconds must be 60..1209600, got {self.message_retention_seconds}")


def event_pattern(key: str) -> str:
    """The EventBridge pattern of rule ``key`` as JSON (sorted keys: deterministic plans)."""
    source, detail_type = EVENTS[key]
    return json.dumps({"detail-type": [detail_type], "source": [source]}, sort_keys=True)


class InterruptionQueue(pulumi.ComponentResource):
    """The queue, its policy, and one EventBridge rule + target per event in :data:`EVENTS`.

    Outputs: queue_name, queue_arn, queue_url, rule_names (rule key -> name).
    """

    def __init__(self, name: str, args: InterruptionQueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            message_retention_seconds=args.message_retention_seconds,
            sqs_managed_sse_enabled=True,
            tags=name_tags(args.tags, f"{name}-queue"),
            opts=child_opts(self),
        )
        aws.sqs.QueuePolicy(
            f"{name}-policy",
            queue_url=queue.url,
            policy=policy_output(
                [
                    {
                        "Sid": "EventBridgeSends",
                        "Effect": "Allow",
                        "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                        "Action": "sqs:SendMessage",
                        "Resource": queue.arn,
                    },
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sqs:*",
                        "Resource": queue.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ]
            ),
            opts=child_opts(self),
        )
        rule_names: dict[str, pulumi.Output[str]] = {}
        for key in EVENTS:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{key}",
                description=f"{EVENTS[key][1]} -> the Karpenter interruption queue",
                event_pattern=event_pattern(key),
                tags=name_tags(args.tags, f"{name}-{key}"),
                opts=child_opts(self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{key}",
                rule=rule.name,
                target_id=TARGET_ID,
                arn=queue.arn,
                opts=child_opts(self),
            )
            rule_names[key] = rule.name
        self.queue_name: pulumi.Output[str] = queue.name
        self.queue_arn: pulumi.Output[str] = queue.arn
        self.queue_url: pulumi.Output[str] = queue.url
        self.rule_names = rule_names
        self.register_outputs(
            {"queue_name": queue.name, "queue_arn": queue.arn, "queue_url": queue.url, "rule_names": rule_names}
        )
