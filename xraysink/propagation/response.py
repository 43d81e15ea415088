"""``X-Amzn-Trace-Id`` on the responses of OpenTelemetry-instrumented servers.

The X-Ray SDKs answer every traced request with its trace header (``Root``, plus
``Sampled`` when the caller asked with ``Sampled=?``), and ``xray_middleware`` does
too. The OpenTelemetry server instrumentations that call the global response
propagator (ASGI, FastAPI, Starlette, Django, Flask, ...) get the same from
:class:`XRayResponsePropagator`, installed by xraysink's set-up when
``opentelemetry-instrumentation`` is there.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.propagators import ResponsePropagator, default_setter

from xraysink.propagation.header import HEADER_NAME, TraceHeader, format_response_header
from xraysink.propagation.keys import HEADER_KEY


class XRayResponsePropagator(ResponsePropagator):
    """Writes ``X-Amzn-Trace-Id: Root=...[;Sampled=0|1]`` for the span of
    ``context`` (the current one by default); nothing outside a trace. The
    caller's parsed header comes from the current context (instrumentations pass a
    context holding only the span)."""

    def inject(self, carrier: Any, context: Any = None, setter: Any = default_setter) -> None:
        span_context = trace.get_current_span(context).get_span_context()
        if not span_context.is_valid or _has_trace_header(carrier):
            return
        header = otel_context.get_value(HEADER_KEY)
        origin = header if isinstance(header, TraceHeader) else None
        value = format_response_header(
            span_context.trace_id, span_context.trace_flags.sampled, origin
        )
        setter.set(carrier, HEADER_NAME, value)


_NAME = HEADER_NAME.lower().encode()


def _has_trace_header(carrier: Any) -> bool:
    # xray_middleware inside an instrumented app wrote the header already; an ASGI
    # message carries its headers as (name, value) byte pairs.
    headers = carrier.get("headers") if isinstance(carrier, dict) else None
    if isinstance(headers, list):
        return any(bytes(pair[0]).lower() == _NAME for pair in headers)
    return False


def install() -> None:
    """Make :class:`XRayResponsePropagator` the global response propagator."""
    from opentelemetry.instrumentation.propagators import set_global_response_propagator

    set_global_response_propagator(XRayResponsePropagator())  # type: ignore[no-untyped-call]
