from __future__ import annotations

from mlstack.engine.deploy.events import Progress, counts_line, plain_line, short_urn, summary_lines

from .fakes import URN_BUCKET, URN_DB, diag, done, failed, pre, summary


def test_counts_in_flight_and_done():
    p = Progress()
    for e in (pre("create", URN_BUCKET), pre("update", URN_DB), pre("same", URN_DB.replace("db", "x"))):
        p.apply(e)
    assert p.counts == {} and p.same == 1
    assert list(p.in_flight) == [URN_BUCKET, URN_DB]
    p.apply(done("create", URN_BUCKET))
    assert p.counts == {"create": 1} and list(p.in_flight) == [URN_DB]
    assert summary_lines(p) == ["1 created, 1 unchanged", "  updating aws:rds/instance:Instance acme-ml-staging-db"]
    p.apply(summary())
    assert p.done and not p.in_flight


def test_replacement_counts_once():
    p = Progress()
    for op in ("create-replacement", "replace", "delete-replaced"):
        p.apply(pre(op, URN_DB, planning=True))
    assert p.counts == {"replace": 1}
    q = Progress()
    for op in ("create-replacement", "replace", "delete-replaced"):
        q.apply(pre(op, URN_DB))
        q.apply(done(op, URN_DB))
    assert q.counts == {"replace": 1} and not q.in_flight


def test_failure_collects_provider_message():
    p = Progress()
    p.apply(pre("create", URN_DB))
    p.apply(diag("creating RDS instance: InvalidParameterCombination: x", URN_DB))
    p.apply(failed("create", URN_DB))
    p.apply(diag("update failed"))
    assert p.failure_lines() == ["aws:rds/instance:Instance acme-ml-staging-db: creating RDS instance: InvalidParameterCombination: x",
                                 "update failed"]
    assert not p.in_flight


def test_preview_counts_are_planned():
    p = Progress()
    p.apply(pre("create", URN_BUCKET, planning=True))
    p.apply(pre("delete", URN_DB, planning=True))
    assert counts_line(p) == "1 to create, 1 to delete" and not p.in_flight
    assert counts_line(Progress()) == "no changes"


def test_plain_lines():
    assert plain_line(pre("create", URN_BUCKET)) == "creating aws:s3/bucket:Bucket acme-ml-staging-datasets"
    assert plain_line(pre("create", URN_BUCKET, planning=True)) == "will create aws:s3/bucket:Bucket acme-ml-staging-datasets"
    assert plain_line(done("create", URN_BUCKET)) == "created aws:s3/bucket:Bucket acme-ml-staging-datasets"
    assert plain_line(failed("create", URN_DB)) == "failed aws:rds/instance:Instance acme-ml-staging-db"
    assert plain_line(diag("boom", URN_DB)) == "error aws:rds/instance:Instance acme-ml-staging-db: boom"
    assert plain_line(diag("chatty", severity="info")) is None
    assert plain_line(pre("same", URN_BUCKET)) is None
    assert short_urn("not-a-urn") == "not-a-urn"
