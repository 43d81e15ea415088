"""Documents of an AWS Lambda function: subsegments of the segment Lambda records.

In Lambda the function's segment belongs to the Lambda service, which names it to
the code in ``_X_AMZN_TRACE_ID``; a function sends only ``"type": "subsegment"``
documents whose ``parent_id`` is that segment (X-Ray developer guide, "Using AWS
Lambda with AWS X-Ray"; the X-Ray SDK's ``LambdaContext`` discards segments). A span
translated as a segment there (a SERVER span: ``opentelemetry-instrumentation-aws-lambda``'s
handler span, a web framework's request span) leaves as such a subsegment.
"""

from __future__ import annotations

from xraysink._types import Entity
from xraysink.translate.aws import drop_aws_fields

#: ``aws`` fields that the X-Ray SDKs write on segments only (the SDK and the host).
_SEGMENT_ONLY_AWS = ("xray", "ec2", "ecs", "eks", "elastic_beanstalk", "cloudwatch_logs")


def as_function_subsegments(entities: list[Entity]) -> None:
    """Turn every segment among ``entities`` (translated documents, changed in place)
    into a subsegment: ``"type": "subsegment"``, without the segment-only fields
    (``origin``, ``service``, the SDK and host parts of ``aws``); ``user`` moves to
    metadata as ``enduser.id``, where a subsegment keeps it."""
    for entity in entities:
        if "type" in entity:
            continue
        entity["type"] = "subsegment"
        entity.pop("origin", None)
        entity.pop("service", None)
        user = entity.pop("user", None)
        if user is not None:
            entity.setdefault("metadata", {}).setdefault("default", {})["enduser.id"] = user
        drop_aws_fields(entity, _SEGMENT_ONLY_AWS)
