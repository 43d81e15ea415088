"""Spans web frameworks make on their own, and the tracer provider that can leave them out.

FastAPI (0.1xx releases with native telemetry) opens a SERVER span for every
request plus ``fastapi.dependencies`` / ``fastapi.endpoint`` /
``fastapi.serialization`` operation spans, as soon as any SDK ``TracerProvider``
is set; the OpenTelemetry ASGI instrumentation (used by FastAPIInstrumentor too)
opens ``http send`` / ``http receive`` spans beside its SERVER span. Under the
xraysink 1.6.2 call sites these spans would move everything the handler records
(subsegments, ``Create Task`` subsegments, ``xray_recorder.put_annotation``) one
level down, under ``fastapi.endpoint``, and turn a 1.6.2 trace of 4 entities into 7.

:class:`XRayTracerProvider` is the SDK ``TracerProvider`` with one change: for the
instrumentation scopes in :data:`FRAMEWORK_SCOPES` it hands out a tracer that, while
framework spans are off, starts no span at all (no sampler call, no id, no span
processor work): ``start_span`` returns a non-recording span carrying the parent's
context, so anything started under it keeps the parent, and
``start_as_current_span`` leaves the current span as it is. The ASGI
instrumentations' SERVER spans are still made (the request segment adopts them);
FastAPI's SERVER span is not (``xray_middleware`` opens the segment, as 1.6.2 did).

Even making no span, FastAPI's telemetry costs a request some 40-60 µs (the trace
header extracted again, request attributes, context switches, a wrapper around every
ASGI message and operation). So while framework spans are off, an app built without
an explicit ``tracing`` setting (``FastAPI()``, as 1.6.2 users build it) gets
``FastAPI(telemetry={"tracing": False, ...})``: FastAPI's own public switch, with
everything else the app chose kept (:func:`default_fastapi_tracing_off`).

Framework spans are off when the X-Ray SDK recorder set the pipeline up (the 1.6.2
call sites) and on under ``xraysink.configure()``; ``XRAYSINK_FRAMEWORK_SPANS``
(:mod:`xraysink.environment`) or ``configure(framework_spans=...)`` choose otherwise.
A ``TracerProvider`` the application set itself is used as it is: its framework
spans stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Final

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import INVALID_SPAN_CONTEXT, Link, NonRecordingSpan, SpanKind
from opentelemetry.util.types import Attributes

from xraysink.propagation.keys import SPAN_KEY, span_context_of

#: Instrumentation scope name -> whether its SERVER spans are made while framework
#: spans are off (an instrumentation the application installed: its SERVER span is
#: the request's segment).
FRAMEWORK_SCOPES: Final[dict[str, bool]] = {
    "fastapi": False,
    "opentelemetry.instrumentation.asgi": True,
    "opentelemetry.instrumentation.fastapi": True,
}


class _Switch:
    """Whether framework spans are made: read at every framework span start, so
    tracers handed out earlier follow a later ``configure()``."""

    on = True


switch: Final = _Switch()


class FrameworkSpan(NonRecordingSpan):
    """The stand-in for a framework span that was not made: records nothing and
    carries its parent's context (``xray_middleware`` never adopts it)."""


_UNMADE: Final = FrameworkSpan(INVALID_SPAN_CONTEXT)
# nullcontext objects are reusable and hold no state between uses.
_LEAVE_CURRENT: Final = nullcontext(_UNMADE)


class FrameworkTracer(trace.Tracer):
    """A framework scope's SDK tracer, which makes no span while framework spans are
    off (see the module docstring); ``keep_server``: its SERVER spans are made always."""

    def __init__(self, tracer: trace.Tracer, keep_server: bool) -> None:
        self._tracer = tracer
        self._keep_server = keep_server

    def _makes(self, kind: SpanKind) -> bool:
        return switch.on or (self._keep_server and kind is SpanKind.SERVER)

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        if self._makes(kind):
            return self._tracer.start_span(
                name,
                context,
                kind,
                attributes,
                links,
                start_time,
                record_exception,
                set_status_on_exception,
            )
        parent = (context if context is not None else otel_context.get_current()).get(SPAN_KEY)
        return FrameworkSpan(span_context_of(parent))

    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> AbstractContextManager[trace.Span]:
        if self._makes(kind):
            return self._tracer.start_as_current_span(
                name,
                context,
                kind,
                attributes,
                links,
                start_time,
                record_exception,
                set_status_on_exception,
                end_on_exit,
            )
        return _LEAVE_CURRENT


class XRayTracerProvider(TracerProvider):
    """The SDK ``TracerProvider``, whose tracers for :data:`FRAMEWORK_SCOPES` are
    :class:`FrameworkTracer` wrappers; every other scope gets the SDK's tracer."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> trace.Tracer:
        tracer = super().get_tracer(
            instrumenting_module_name,
            instrumenting_library_version,
            schema_url,
            attributes,
        )
        keep_server = FRAMEWORK_SCOPES.get(instrumenting_module_name)
        if keep_server is None:
            return tracer
        return FrameworkTracer(tracer, keep_server)


_fastapi_hooked = False


def default_fastapi_tracing_off() -> None:
    """From now on, a ``FastAPI`` app built while framework spans are off and without
    a ``tracing`` telemetry setting of its own gets ``tracing: False`` (its other
    settings, metrics and logs included, as it chose). Apps built earlier keep
    FastAPI's default; their spans are still left out by :class:`FrameworkTracer`.
    Idempotent; imports nothing until FastAPI is imported."""
    global _fastapi_hooked
    if not _fastapi_hooked:
        _fastapi_hooked = True
        wrapt.register_post_import_hook(_wrap_fastapi, "fastapi.applications")


def _wrap_fastapi(module: Any) -> None:
    wrapt.wrap_function_wrapper(module, "FastAPI.__init__", _fastapi_init)


def _fastapi_init(wrapped: Any, instance: Any, args: Any, kwargs: dict[str, Any]) -> Any:
    telemetry = kwargs.get("telemetry")
    if not switch.on and (telemetry is None or "tracing" not in telemetry):
        kwargs["telemetry"] = {"tracing": False, **(telemetry or {})}
    return wrapped(*args, **kwargs)
