"""A bare WSGI application wrapped in ``opentelemetry-instrumentation-wsgi``'s
``OpenTelemetryMiddleware``, under ``xraysink.configure``, with ``-requests``
instrumented: ``/orders/<n>``, ``/fail`` (raises), ``/missing`` (404)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import xraysink

xraysink.configure("wsgi-app", indexed_attributes=["order"])

import requests  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.requests import RequestsInstrumentor  # noqa: E402
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware  # noqa: E402

RequestsInstrumentor().instrument()
tracer = trace.get_tracer(__name__)


def orders(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/fail":
        raise KeyError("no such order")
    if not path.startswith("/orders/"):
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    order = int(path.rsplit("/", 1)[1])
    with tracer.start_as_current_span("lookup") as span:
        span.update_name(f"lookup {order}")
        span.set_attribute("order", order)
    with tracer.start_as_current_span("otel step"):
        pass
    downstream = parse_qs(environ.get("QUERY_STRING", "")).get("downstream")
    if downstream:
        requests.get(downstream[0], timeout=5)
    body = json.dumps({"order": order, "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


app = OpenTelemetryMiddleware(orders)
