"""A Lambda function traced OpenTelemetry-first: ``xraysink.configure()`` and
``opentelemetry-instrumentation-aws-lambda``, which wraps the handler named by
``_HANDLER`` (``lambda_otel.handler``); the handler opens one span of its own."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor

import xraysink

xraysink.configure()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with trace.get_tracer(__name__).start_as_current_span("query") as span:
        span.set_attribute("rows", 3)
    return {"statusCode": 200}


AwsLambdaInstrumentor().instrument()
