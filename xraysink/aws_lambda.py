"""AWS Lambda: the function's spans as subsegments of the segment Lambda records.

In Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set) the Lambda service records the function's
segment and names it to the code in ``_X_AMZN_TRACE_ID`` (``Root=...;Parent=...;
Sampled=0|1``), set anew before each invocation. As the X-Ray SDK does there
(``LambdaContext``), xraysink then:

- reads ``_X_AMZN_TRACE_ID`` for every invocation (:func:`function_context`), never
  keeping anything of the previous one;
- records the function's spans only when it says ``Sampled=1`` (the function's segment
  decides, not a sampler of this process), and sends them as ``"type": "subsegment"``
  documents with ``trace_id`` = its ``Root`` and ``parent_id`` = its ``Parent``; a span
  that would be a segment elsewhere is sent as such a subsegment too;
- sends everything before the handler returns: a frozen execution environment runs
  nothing.

Three ways in, one result: the X-Ray SDK call sites (``xray_recorder`` subsegments,
``patch()``, the SDK's Django/Flask/Bottle middlewares, whose Lambda branch runs) once
``xraysink.configure()`` ran; ``opentelemetry-instrumentation-aws-lambda`` (with or
without the ``xray-lambda`` propagator); or :func:`traced` on the handler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import CarrierT, Getter, default_getter

from xraysink import environment
from xraysink._version import __version__
from xraysink.propagation.header import TraceHeader, parse_trace_header
from xraysink.propagation.propagator import XRayPropagator, context_with_header

__all__ = ["LambdaPropagator", "flush", "function_context", "function_header", "traced"]

R = TypeVar("R")

_tracer = trace.get_tracer(__name__, __version__)


# (value of _X_AMZN_TRACE_ID, its header): the recorder bridge asks for the header
# several times per SDK subsegment, and the variable changes once per invocation.
_last_header: list[tuple[str | None, TraceHeader | None]] = [(None, None)]


def function_header() -> TraceHeader | None:
    """The function segment's trace header from ``_X_AMZN_TRACE_ID``, read now; None
    when it is unset or has no ``Root``. ``Sampled`` other than ``1`` reads as not
    sampled: only the function's segment decides, and it sends ``0`` or ``1``."""
    value = environment.get(environment.LAMBDA_TRACE_HEADER)
    last = _last_header[0]
    if last[0] == value:
        return last[1]
    header = parse_trace_header(value)
    if header is not None and not header.sampled:
        header = header._replace(sampled=False)
    _last_header[0] = (value, header)
    return header


def function_context(context: Context | None = None) -> Context:
    """``context`` (default: an empty one) with the function's segment of the current
    invocation as the remote parent span, when ``_X_AMZN_TRACE_ID`` names one."""
    return context_with_header(function_header(), context)


class LambdaPropagator(XRayPropagator):
    """``X-Amzn-Trace-Id`` propagator for Lambda: ``extract`` gives the function's
    segment (``_X_AMZN_TRACE_ID``) as the parent, whatever header an event carries (an
    API Gateway event carries the gateway's, whose child is the function's segment),
    unless a span of this invocation's trace is current already (a request served
    inside the handler stays under the handler's span). Without ``_X_AMZN_TRACE_ID``
    it extracts the carrier's header. ``inject`` is X-Ray's."""

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        header = function_header()
        if header is None:
            return super().extract(carrier, context, getter)
        current = trace.get_current_span(context).get_span_context()
        if current.is_valid and not current.is_remote and current.trace_id == header.trace_id:
            return context if context is not None else otel_context.get_current()
        return context_with_header(header, context)


def flush(timeout_millis: int = 30_000) -> bool:
    """Send everything the global ``TracerProvider``'s span processors hold, within
    ``timeout_millis``; what a handler must do before it returns. False when a
    processor did not finish in time."""
    provider = trace.get_tracer_provider()
    force_flush = getattr(provider, "force_flush", None)
    return bool(force_flush(timeout_millis)) if force_flush is not None else True


def traced(handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """Decorate a Lambda handler ``handler(event, context)``: each invocation runs in a
    span named ``<module>.<function>``, a subsegment of the function's segment, with
    ``faas.invocation_id`` (the context's ``aws_request_id``) and ``cloud.resource_id``
    (``invoked_function_arn``); an exception it raises is recorded as the subsegment's
    cause and raised on. Every span is sent before the handler returns (:func:`flush`).
    Calls ``xraysink.configure()`` on the first invocation when nothing configured the
    pipeline."""
    name = f"{handler.__module__}.{handler.__qualname__}"

    @functools.wraps(handler)
    def invoke(event: Any, context: Any) -> R:
        from xraysink import pipeline

        if pipeline.span_processor() is None:
            pipeline.configure()
        attributes = {
            "faas.invocation_id": str(getattr(context, "aws_request_id", "")),
            "cloud.resource_id": str(getattr(context, "invoked_function_arn", "")),
        }
        try:
            with _tracer.start_as_current_span(
                name, context=function_context(), attributes=attributes
            ):
                return handler(event, context)
        finally:
            flush()

    return invoke
