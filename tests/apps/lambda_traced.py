"""A Lambda function using neither the X-Ray SDK nor the Lambda instrumentation: the
OpenTelemetry API under ``@xraysink.aws_lambda.traced``, which configures xraysink."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from xraysink.aws_lambda import traced


@traced
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with trace.get_tracer(__name__).start_as_current_span("query") as span:
        span.set_attribute("rows", event.get("rows", 0))
    if event.get("fail"):
        raise RuntimeError("downstream refused")
    return {"ok": True}
