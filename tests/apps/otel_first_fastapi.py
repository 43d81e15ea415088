"""FastAPI app configured OpenTelemetry-first with ``xraysink.configure``."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import trace
from starlette.middleware.base import BaseHTTPMiddleware

import xraysink
from xraysink.asgi.middleware import xray_middleware

xraysink.configure(
    service="otel-first", log_group="/test/otel-first", indexed_attributes=["order.id"]
)

app = FastAPI()
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)
tracer = trace.get_tracer(__name__)


@app.get("/orders/{order_id}")
async def order(order_id: str) -> dict[str, str]:
    with tracer.start_as_current_span("load order", attributes={"order.id": order_id, "rows": 3}):
        with tracer.start_as_current_span("query"):
            pass
    return {"id": order_id}
