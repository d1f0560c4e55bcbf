"""``mlstack.testing``, as its docstring documents it for users' own programs: record a program under mlstack's
mocks, read exact registrations, secrets masked, the same bytes twice, a failing program an EngineError."""

from __future__ import annotations

import pytest

from mlstack.testing import SECRET, MockOutputs, Plan, Registration, record


def _program() -> None:
    import pulumi
    import pulumi_aws as aws

    bucket = aws.s3.Bucket("data", bucket="acme-data")
    aws.s3.BucketVersioning("data-versioning", bucket=bucket.id,
                            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"))
    pulumi.export("bucket_arn", bucket.arn)
    pulumi.export("token", pulumi.Output.secret("s3cr3t"))


def test_the_documented_example_records_exact_registrations():
    plan = record(_program, project="acme-ml", stack="dev", region="eu-west-1")
    assert isinstance(plan, Plan) and all(isinstance(r, Registration) for r in plan.resources)
    (versioning,) = plan.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert versioning.urn == "urn:pulumi:dev::acme-ml::aws:s3/bucketVersioning:BucketVersioning::data-versioning"
    assert plan.one("aws:s3/bucket:Bucket", "data").inputs["bucket"] == "acme-data"
    # The versioning's bucket input carries the bucket's output: a property dependency the plan records.
    assert versioning.input_deps == {"bucket": [plan.one("aws:s3/bucket:Bucket", "data").urn]}
    assert plan.outputs["bucket_arn"] == "arn:aws:s3:::acme-data" and plan.outputs["token"] == SECRET == "[secret]"


def test_two_runs_give_the_same_plan():
    from mlstack.cli.render import plan_json

    assert plan_json(record(_program)) == plan_json(record(_program))


def test_a_failing_program_is_an_engine_error_with_its_message():
    from mlstack.errors import EngineError

    def broken() -> None:
        raise ValueError("team 'x' needs a group")

    with pytest.raises(EngineError, match="team 'x' needs a group"):
        record(broken)


def test_the_mocks_answer_with_the_region_given():
    assert MockOutputs(region="eu-west-1").region == "eu-west-1"
