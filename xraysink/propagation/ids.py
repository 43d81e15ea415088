"""Trace and span id generation: X-Ray format, continuing a ``Root`` without ``Parent``."""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import context as otel_context
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator

from xraysink.propagation.header import TraceHeader
from xraysink.propagation.keys import HEADER_KEY, expected_root


class XRayIdGenerator(AwsXRayIdGenerator):
    """``AwsXRayIdGenerator`` (first 32 bits = epoch seconds), except that a new
    root span started under a context holding a parsed trace header without
    ``Parent`` (what an ALB sends), or right after ``keys.expect_root``, gets the
    header's ``Root``: the X-Ray SDKs continue such a trace, and OpenTelemetry has no
    parentless remote context.

    The OpenTelemetry SDK asks for a trace id only when the span has no valid
    parent, and calls the generator while the caller's context is current; it asks
    for a span id for every span, which ends what ``keys.expect_root`` set.
    """

    def generate_trace_id(self) -> int:
        expected = expected_root.get()
        if expected is not None:
            expected_root.set(None)
        header = otel_context.get_current().get(HEADER_KEY)
        if isinstance(header, TraceHeader) and header.parent_id is None:
            return header.trace_id
        if expected is not None:
            return expected
        return _new_trace_id(self)

    def generate_span_id(self) -> int:
        if expected_root.get() is not None:
            expected_root.set(None)
        return _new_span_id(self)


# The parent's methods, bound once: super() builds a proxy object on every span.
_new_trace_id: Callable[[AwsXRayIdGenerator], int] = AwsXRayIdGenerator.generate_trace_id
_new_span_id: Callable[[AwsXRayIdGenerator], int] = AwsXRayIdGenerator.generate_span_id
