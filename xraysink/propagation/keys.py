"""Where the trace header and the current span live in the OpenTelemetry context.

A leaf module: the propagator writes these keys, the id generator, the sampler and
the recorder bridge read them, and none of those import each other for it.
"""

from __future__ import annotations

from contextvars import ContextVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN_CONTEXT, SpanContext

from xraysink._internals import CONTEXT_OF, CONTEXT_TYPES

#: The parsed ``X-Amzn-Trace-Id`` (a ``TraceHeader``) of the request, when it had one.
HEADER_KEY = otel_context.create_key("xraysink-trace-header")
#: The context key of the current span. opentelemetry.trace keeps its name private; the
#: public API reveals it. The hot paths (the sampler for every span, the recorder bridge
#: 4 times per X-Ray SDK subsegment) read the context with it: two calls fewer each.
SPAN_KEY = next(iter(trace.set_span_in_context(trace.INVALID_SPAN, Context())))

#: See :func:`expect_root`; the id generator reads and clears it.
expected_root: ContextVar[int | None] = ContextVar("xraysink_expected_root", default=None)


def span_context_of(value: object) -> SpanContext:
    """The ``SpanContext`` of ``value``, a context's ``SPAN_KEY`` entry;
    ``INVALID_SPAN_CONTEXT`` when it is no ``Span`` (missing, or anything else)."""
    if type(value) in CONTEXT_TYPES:
        return CONTEXT_OF(value)  # type: ignore[no-any-return]
    if isinstance(value, trace.Span):
        return value.get_span_context()
    return INVALID_SPAN_CONTEXT


def expect_root(trace_id: int) -> None:
    """Give the next span started in the caller's context (thread or asyncio task)
    ``trace_id`` if it has no parent; any span start in that context consumes it.

    For a trace header with ``Root`` and no ``Parent`` extracted by an instrumentation
    that passes the extracted context to ``start_span`` without attaching it (the
    aiohttp server instrumentation does): the id generator only sees the current
    context, so the header in the extracted one cannot reach it otherwise.
    ``trace_id`` is the 128-bit OpenTelemetry trace id.
    """
    expected_root.set(trace_id)
