"""Helpers the AWS components share: IAM documents as JSON, KMS keys, account look-ups.

IAM documents are built here as plain JSON (never through ``get_policy_document`` invokes), so a plan shows
exactly the policy that will be applied.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts, tags_with

#: Version string every IAM policy document carries.
IAM_VERSION = "2012-10-17"


def policy_json(statements: Sequence[Mapping[str, Any]]) -> str:
    """A policy document for ``statements`` (plain values only), as deterministic JSON."""
    return json.dumps({"Version": IAM_VERSION, "Statement": list(statements)}, sort_keys=True)


def policy_output(statements: Sequence[Any]) -> pulumi.Output[str]:
    """A policy document for ``statements`` that may hold Outputs, as an ``Output[str]`` of JSON."""
    return pulumi.Output.from_input({"Version": IAM_VERSION, "Statement": list(statements)}).apply(
        lambda doc: json.dumps(doc, sort_keys=True)
    )


def service_trust_policy(service: str, tag_session: bool = False) -> str:
    """Trust policy letting the AWS ``service`` (e.g. ``eks.amazonaws.com``) assume a role."""
    actions: list[str] | str = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    return policy_json([{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}])


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Bucket-policy statement denying every request that does not use TLS (``aws:SecureTransport`` false)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def account_id(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The AWS account id of the provider ``parent`` uses."""
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def region_name(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The region of the provider ``parent`` uses."""
    return aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region


def partition(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The AWS partition (``aws``, ``aws-cn``, ``aws-us-gov``) of the provider ``parent`` uses."""
    return aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition


def logs_key_policy(parent: pulumi.Resource, log_groups: pulumi.Input[str]) -> pulumi.Output[str]:
    """Key policy of a CMK for CloudWatch Logs groups: the account administers it, and the region's CloudWatch
    Logs may use it only for the groups ``log_groups`` matches (an ARN pattern; the service names the group in
    the encryption context, ``kms:EncryptionContext:aws:logs:arn``)."""
    part, region, account = partition(parent), region_name(parent), account_id(parent)
    return policy_output([
        {"Sid": "AccountAdministers", "Effect": "Allow",
         "Principal": {"AWS": pulumi.Output.format("arn:{0}:iam::{1}:root", part, account)},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogsEncrypts", "Effect": "Allow",
         "Principal": {"Service": pulumi.Output.format("logs.{0}.amazonaws.com", region)},
         "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
         "Resource": "*", "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}}},
    ])  # fmt: skip


def principal_digest(arn: str) -> str:
    """A name part for an IAM principal: 8 hex digits of its ARN's SHA-256.

    Access entries are named by it, so adding or removing one principal never renames (and so replaces)
    another's entry, as position-based names would.
    """
    return hashlib.sha256(arn.encode()).hexdigest()[:8]


def aws_managed_policy_arn(part: pulumi.Input[str], policy: str) -> pulumi.Output[str]:
    """An AWS-managed IAM policy's ARN in partition ``part``: ``arn:<part>:iam::aws:policy/<policy>``.

    ``policy`` includes its path where it has one (``service-role/AmazonEFSCSIDriverPolicy``).
    """
    return pulumi.Output.format("arn:{0}:iam::aws:policy/{1}", part, policy)


def eks_access_policy_arn(part: pulumi.Input[str], policy: str) -> pulumi.Output[str]:
    """An EKS access policy's ARN in partition ``part``: ``arn:<part>:eks::aws:cluster-access-policy/<policy>``."""
    return pulumi.Output.format("arn:{0}:eks::aws:cluster-access-policy/{1}", part, policy)


def kms_key(
    name: str,
    parent: pulumi.Resource,
    *,
    description: str,
    tags: Mapping[str, str] | None,
    deletion_window_days: int = 30,
    policy: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.kms.Key:
    """A symmetric customer-managed KMS key with yearly automatic rotation.

    Args:
        name: logical name of the key.
        parent: the component that owns it.
        description: what the key protects (shown in the KMS console).
        tags: the caller's tags; ``Name`` is added.
        deletion_window_days: days a scheduled deletion waits (7 to 30); 30 leaves the most time to cancel.
        policy: key policy JSON; None keeps the KMS default (the account's IAM policies decide).
        opts: options; defaults to ``child_opts(parent)``. Pass ``stateful_opts`` for keys of stateful data:
            losing the key loses the data.
    """
    if not 7 <= deletion_window_days <= 30:
        raise ValueError(f"{name}: deletion_window_days must be between 7 and 30, got {deletion_window_days}")
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        policy=policy,
        tags=tags_with(dict(tags or {}), Name=name),
        opts=opts or child_opts(parent),
    )


def data_key_arn(
    name: str,
    parent: pulumi.Resource,
    *,
    given: pulumi.Input[str] | None,
    description: str,
    tags: Mapping[str, str] | None,
    deletion_window_days: int,
    protect: bool,
) -> pulumi.Output[str]:
    """The ARN of the key that encrypts a stateful resource: ``given``, or a new rotated key ``<name>-key``
    protected like the data it encrypts (losing the key loses the data)."""
    if given is not None:
        return pulumi.Output.from_input(given)
    return kms_key(
        f"{name}-key",
        parent,
        description=description,
        tags=tags,
        deletion_window_days=deletion_window_days,
        opts=stateful_opts(parent, protect),
    ).arn


def ingress_only_security_group(
    name: str,
    parent: pulumi.Resource,
    *,
    vpc_id: pulumi.Input[str] | None,
    port: int,
    sources: Sequence[pulumi.Input[str]],
    description: str,
    rule_description: str,
    tags: Mapping[str, str] | None,
) -> aws.ec2.SecurityGroup:
    """A security group ``name`` admitting TCP ``port`` only from the ``sources`` security groups (one rule
    ``<name>-from-<i>`` each). No egress rules: the service only answers."""
    sg = aws.ec2.SecurityGroup(
        name, vpc_id=vpc_id, description=description, tags=name_tags(tags, name), opts=child_opts(parent)
    )
    for i, source in enumerate(sources):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{i}",
            security_group_id=sg.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=rule_description,
            tags=name_tags(tags, f"{name}-from-{i}"),
            opts=child_opts(parent),
        )
    return sg


def name_tags(tags: Mapping[str, str] | None, name: str, **extra: str) -> dict[str, str]:
    """``tags`` with ``Name`` (and ``extra``) merged in, sorted."""
    return tags_with(dict(tags or {}), Name=name, **extra)
