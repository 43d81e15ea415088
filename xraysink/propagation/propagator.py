"""OpenTelemetry propagator for ``X-Amzn-Trace-Id`` with lenient extraction.

Injection is ``opentelemetry-propagator-aws-xray``'s; extraction uses
:func:`xraysink.propagation.header.parse_trace_header`, which keeps the headers that
propagator drops (a ``Root`` without ``Parent``, ``Sampled=?``, lowercase keys).
Whatever was parsed is also stored in the context (``HEADER_KEY``) so the sampler
can decide ``Sampled=?``/missing and the id generator can continue a ``Root`` that
came without ``Parent``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.textmap import CarrierT, Getter, default_getter

from xraysink.propagation.header import HEADER_NAME, TraceHeader, parse_trace_header
from xraysink.propagation.keys import HEADER_KEY, expect_root


def context_with_header(header: TraceHeader | None, context: Context | None = None) -> Context:
    """A context carrying ``header``: a remote parent span when it has ``Parent``,
    and the header itself under ``HEADER_KEY`` in every case."""
    if context is None:
        context = Context()
    if header is None:
        return context
    context = otel_context.set_value(HEADER_KEY, header, context)
    if header.parent_id is None:
        return context
    flags = trace.TraceFlags(trace.TraceFlags.SAMPLED if header.sampled else 0)
    span_context = trace.SpanContext(
        trace_id=header.trace_id, span_id=header.parent_id, is_remote=True, trace_flags=flags
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context), context)


def start_span_with_header(
    tracer: trace.Tracer, name: str, header: TraceHeader | None, **kwargs: Any
) -> trace.Span:
    """Start (not make current) a span under what ``header`` names: a remote parent
    for ``Parent``, the caller's decision for ``Sampled``, the trace id of a ``Root``
    without ``Parent``. ``kwargs`` go to ``Tracer.start_span`` (kind, attributes,
    start_time in nanoseconds)."""
    parent = context_with_header(header)
    # The sampler reads the header from the context given; the id generator only
    # sees the current one, so it is attached while the span starts.
    token = otel_context.attach(parent)
    try:
        return tracer.start_span(name, context=parent, **kwargs)
    finally:
        otel_context.detach(token)


class XRayPropagator(AwsXRayPropagator):
    """``X-Amzn-Trace-Id`` propagator: lenient extract, standard inject.

    ``extract`` never raises for a carrier value: a value that is not text, is
    longer than ``MAX_HEADER_LENGTH`` or has no usable ``Root`` leaves ``context``
    unchanged (a new trace starts).
    """

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        values = getter.get(carrier, HEADER_NAME)
        value = values[0] if values else None
        # Carriers hold whatever a framework put there; only text is a trace header.
        header = parse_trace_header(value) if isinstance(value, str) else None
        if header is None:
            # Most requests: no header, nothing to add.
            return context if context is not None else Context()
        if header.parent_id is None:
            # For instrumentations that start their span without attaching the
            # extracted context (aiohttp server): see keys.expect_root.
            expect_root(header.trace_id)
        return context_with_header(header, context)
