"""A typical HTTP SERVER span, made by the real OpenTelemetry SDK.

Its attributes are what the OpenTelemetry ASGI instrumentation records for a GET
(stable HTTP semantic conventions); its Resource is what ``xraysink.configure``
builds with a service name and a log group.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import cast

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.util.types import AttributeValue

from benchmarks.app import CHILDREN
from xraysink.propagation.ids import XRayIdGenerator

SERVER_ATTRIBUTES: dict[str, AttributeValue] = {
    "http.request.method": "GET",
    "url.scheme": "http",
    "server.address": "orders.internal",
    "server.port": 8080,
    "network.protocol.version": "1.1",
    "url.path": "/orders/42",
    "url.query": "expand=lines",
    "client.address": "10.0.3.17",
    "client.port": 53122,
    "user_agent.original": "python-httpx/0.28.1",
    "http.route": "/orders/{order_id}",
    "http.response.status_code": 200,
}


def typical_resource() -> Resource:
    """The Resource of ``xraysink.configure(service="orders", log_group=...)``."""
    return Resource.create({"service.name": "orders", "aws.log.group.names": ("/ecs/orders",)})


class _Keep(SpanProcessor):
    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def typical_server_span() -> ReadableSpan:
    """One finished SERVER span with ``SERVER_ATTRIBUTES``: the object ``on_end`` receives."""
    provider = TracerProvider(resource=typical_resource(), id_generator=XRayIdGenerator())
    keep = _Keep()
    provider.add_span_processor(keep)
    span = provider.get_tracer("benchmarks").start_span(
        "GET /orders/{order_id}", kind=SpanKind.SERVER
    )
    span.set_attributes(SERVER_ATTRIBUTES)
    span.end()
    return keep.ended[0]


class _Record(SpanProcessor):
    def __init__(self) -> None:
        self.events: list[tuple[str, ReadableSpan]] = []

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.events.append(("start", span))

    def on_end(self, span: ReadableSpan) -> None:
        self.events.append(("end", span))


def request_spans(*, operation_spans: bool = True) -> list[tuple[str, ReadableSpan]]:
    """The span starts and ends of one benchmarked request, in order: FastAPI's SERVER
    span, its 3 ``fastapi.*`` operation spans when ``operation_spans``, and the route's
    3 nested children: 7 spans, or 4 (the X-Ray SDK path's 1 segment + 3 subsegments).
    A "start" event holds the live ``Span`` (what ``on_start`` receives), an "end" event
    the ``ReadableSpan`` the SDK hands to ``on_end``; ``replay`` sends them again."""
    provider = TracerProvider(resource=typical_resource(), id_generator=XRayIdGenerator())
    record = _Record()
    provider.add_span_processor(record)
    tracer = provider.get_tracer("benchmarks")
    operation = {"code.function.name": "app.order"}
    with tracer.start_as_current_span(
        "GET /orders/{order_id}", kind=SpanKind.SERVER, attributes=SERVER_ATTRIBUTES
    ):
        with _optional(tracer, "fastapi.dependencies", operation_spans, operation):
            pass
        with _optional(tracer, "fastapi.endpoint", operation_spans, operation):
            with tracer.start_as_current_span("load order", attributes=CHILDREN[0][1]):
                with tracer.start_as_current_span("query orders", attributes=CHILDREN[1][1]):
                    with tracer.start_as_current_span("render order", attributes=CHILDREN[2][1]):
                        pass
        with _optional(tracer, "fastapi.serialization", operation_spans, operation):
            pass
    return record.events


def _optional(
    tracer: Tracer, name: str, wanted: bool, attributes: dict[str, str]
) -> AbstractContextManager[object]:
    """A current span named ``name`` when ``wanted``, else nothing."""
    return tracer.start_as_current_span(name, attributes=attributes) if wanted else nullcontext()


def replay(processor: SpanProcessor, events: list[tuple[str, ReadableSpan]]) -> None:
    """Send ``events`` (from ``request_spans``) through ``processor`` in order."""
    for kind, span in events:
        if kind == "start":
            # Recorded by _Record.on_start, so a live Span.
            processor.on_start(cast(Span, span))
        else:
            processor.on_end(span)
