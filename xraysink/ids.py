"""Trace and span id generation: X-Ray format, continuing a ``Root`` without ``Parent``."""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator

from xraysink.propagator import HEADER_KEY
from xraysink.trace_header import TraceHeader


class XRayIdGenerator(AwsXRayIdGenerator):
    """``AwsXRayIdGenerator`` (first 32 bits = epoch seconds), except that a new
    root span started under a context holding a parsed trace header without
    ``Parent`` (what an ALB sends) gets the header's ``Root``: the X-Ray SDKs
    continue such a trace, and OpenTelemetry has no parentless remote context.

    The OpenTelemetry SDK asks for a trace id only when the span has no valid
    parent, and calls the generator while the caller's context is current.
    """

    def generate_trace_id(self) -> int:
        header = otel_context.get_value(HEADER_KEY)
        if isinstance(header, TraceHeader) and header.parent_id is None:
            return header.trace_id
        trace_id: int = super().generate_trace_id()
        return trace_id
