"""A segment translated in AWS Lambda leaves as a subsegment of the function's segment."""

from __future__ import annotations

from xraysink.export.lambda_function import as_function_subsegments


def test_segments_become_subsegments_without_segment_only_fields() -> None:
    segment = {
        "name": "orders",
        "id": "a" * 16,
        "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
        "parent_id": "53995c3f42cd8ad8",
        "origin": "AWS::Lambda::Function",
        "service": {"version": "1.2"},
        "user": "alice",
        "aws": {"xray": {"sdk": "xraysink"}, "cloudwatch_logs": [{}], "operation": "GetItem"},
        "http": {"response": {"status": 200}},
    }
    subsegment = {"name": "query", "id": "b" * 16, "type": "subsegment", "origin": "kept"}
    as_function_subsegments([segment, subsegment])
    assert segment == {
        "name": "orders",
        "id": "a" * 16,
        "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
        "parent_id": "53995c3f42cd8ad8",
        "type": "subsegment",
        "aws": {"operation": "GetItem"},
        "http": {"response": {"status": 200}},
        "metadata": {"default": {"enduser.id": "alice"}},
    }
    # Already a subsegment: left as it is.
    assert subsegment == {"name": "query", "id": "b" * 16, "type": "subsegment", "origin": "kept"}


def test_an_aws_block_of_segment_fields_only_goes() -> None:
    segment = {"name": "fn", "id": "c" * 16, "aws": {"xray": {"sdk": "xraysink"}}}
    as_function_subsegments([segment])
    assert segment == {"name": "fn", "id": "c" * 16, "type": "subsegment"}
