"""A typical HTTP SERVER span, made by the real OpenTelemetry SDK.

Its attributes are what the OpenTelemetry ASGI instrumentation records for a GET
(stable HTTP semantic conventions); its Resource is what ``xraysink.configure``
builds with a service name and a log group.
"""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind

from xraysink.ids import XRayIdGenerator

SERVER_ATTRIBUTES = {
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
