"""The recording monitor: what it keeps, what it refuses, and that runs in one process stay independent."""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_aws as aws
import pytest

from mlstack.engine.plan.model import plan_program
from mlstack.engine.plan.recorder import record
from mlstack.errors import EngineError


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlstack:test:Box", name, None, opts)
        key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, opts=pulumi.ResourceOptions(parent=self))
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            tags={"k": key.arn},
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True, depends_on=[key]),
        )
        self.register_outputs({})


def test_records_types_parents_options_and_outputs():
    def program():
        box = Box("b")
        pulumi.export("bucket", box.bucket.bucket)
        pulumi.export("password", pulumi.Output.secret("hunter2"))

    plan = plan_program(program, project="p", env="s")
    box = plan.one("mlstack:test:Box", "b")
    bucket = plan.one("aws:s3/bucket:Bucket", "b-bucket")
    key = plan.one("aws:kms/key:Key", "b-key")
    assert box.urn == "urn:pulumi:s::p::mlstack:test:Box::b" and box.parent == ""
    assert bucket.urn == "urn:pulumi:s::p::mlstack:test:Box$aws:s3/bucket:Bucket::b-bucket"
    assert bucket.parent == box.urn and (bucket.protect, bucket.retain_on_delete) == (True, True)
    assert key.inputs == {"enableKeyRotation": True}
    # key.arn is a property dependency; depends_on keeps only the explicit one, which is the same key.
    assert bucket.depends_on == [] and bucket.inputs["tags"]["k"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    # an auto-named resource gets Pulumi's shape of name: logical name plus a suffix (deterministic here)
    suffix = hashlib.sha256(b"b-bucket").hexdigest()[:7]
    assert plan.outputs == {"bucket": f"b-bucket-{suffix}", "password": "[secret]"}


def test_explicit_dependencies_are_kept():
    def program():
        a = aws.kms.Key("a")
        aws.kms.Key("b", opts=pulumi.ResourceOptions(depends_on=[a]))

    plan = plan_program(program, project="p", env="s")
    assert plan.one("aws:kms/key:Key", "b").depends_on == ["urn:pulumi:s::p::aws:kms/key:Key::a"]


def test_duplicate_urns_are_refused():
    def program():
        aws.kms.Key("same")
        aws.kms.Key("same")

    with pytest.raises(EngineError, match="duplicate resource URN urn:pulumi:s::p::aws:kms/key:Key::same"):
        record(program, project="p", stack="s")


def test_an_invoke_the_plan_cannot_answer_is_an_error():
    def program():
        pulumi.export("vpc", aws.ec2.get_vpc_output(default=True).id)

    with pytest.raises(EngineError, match="the plan cannot answer the invoke 'aws:ec2/getVpc:getVpc'"):
        record(program, project="p", stack="s")


def test_a_run_that_never_finishes_is_an_error():
    def program():
        never = pulumi.Output.from_input(1).apply(lambda _: pulumi.Output(set(), __import__("asyncio").Future(), __import__("asyncio").Future()))
        pulumi.export("never", never)

    with pytest.raises(EngineError, match="the plan registered nothing for 1 s: a component waits on an output"):
        record(program, project="p", stack="s", timeout=1)


def test_a_slow_run_that_keeps_registering_is_not_cut_off():
    """The deadline counts from the last registration: four keys 0.8 s apart take 3 s, over a 2 s deadline."""
    import time

    def program():
        previous = aws.kms.Key("k0")
        for i in range(1, 4):
            later = previous.id.apply(lambda v: time.sleep(0.8) or v)
            previous = aws.kms.Key(f"k{i}", description=later)

    start = time.monotonic()
    monitor = record(program, project="p", stack="s", timeout=2)
    assert time.monotonic() - start > 2
    assert sorted(r.name for r in monitor.registrations.values()) == ["k0", "k1", "k2", "k3"]


def test_a_failing_run_does_not_poison_the_next():
    def bad():
        raise ValueError("broken component")

    with pytest.raises(EngineError, match="the program failed: broken component"):
        record(bad, project="p", stack="s")
    ok = record(lambda: aws.kms.Key("k") and None, project="p", stack="s")
    assert list(ok.registrations) == ["urn:pulumi:s::p::aws:kms/key:Key::k"]
