"""Trace and span id generation: X-Ray format, continuing a ``Root`` without ``Parent``."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from opentelemetry import context as otel_context
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator

from xraysink.propagator import HEADER_KEY
from xraysink.trace_header import TraceHeader

_expected_root: ContextVar[int | None] = ContextVar("xraysink_expected_root", default=None)


def expect_root(trace_id: int) -> None:
    """Give the next span started in the caller's context (thread or asyncio task)
    ``trace_id`` if it has no parent; any span start in that context consumes it.

    For a trace header with ``Root`` and no ``Parent`` extracted by an instrumentation
    that passes the extracted context to ``start_span`` without attaching it (the
    aiohttp server instrumentation does): the id generator only sees the current
    context, so the header in the extracted one cannot reach it otherwise.
    ``trace_id`` is the 128-bit OpenTelemetry trace id.
    """
    _expected_root.set(trace_id)


class XRayIdGenerator(AwsXRayIdGenerator):
    """``AwsXRayIdGenerator`` (first 32 bits = epoch seconds), except that a new
    root span started under a context holding a parsed trace header without
    ``Parent`` (what an ALB sends), or right after :func:`expect_root`, gets the
    header's ``Root``: the X-Ray SDKs continue such a trace, and OpenTelemetry has no
    parentless remote context.

    The OpenTelemetry SDK asks for a trace id only when the span has no valid
    parent, and calls the generator while the caller's context is current; it asks
    for a span id for every span, which ends what :func:`expect_root` set.
    """

    def generate_trace_id(self) -> int:
        expected = _expected_root.get()
        if expected is not None:
            _expected_root.set(None)
        header = otel_context.get_current().get(HEADER_KEY)
        if isinstance(header, TraceHeader) and header.parent_id is None:
            return header.trace_id
        if expected is not None:
            return expected
        return _new_trace_id(self)

    def generate_span_id(self) -> int:
        if _expected_root.get() is not None:
            _expected_root.set(None)
        return _new_span_id(self)


# The parent's methods, bound once: super() builds a proxy object on every span.
_new_trace_id: Callable[[AwsXRayIdGenerator], int] = AwsXRayIdGenerator.generate_trace_id
_new_span_id: Callable[[AwsXRayIdGenerator], int] = AwsXRayIdGenerator.generate_span_id
