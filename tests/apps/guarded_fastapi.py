"""FastAPI app configured OpenTelemetry-first with a root sampler that never samples:
only a caller's ``Sampled=1`` gets a request traced, when it is trusted.

Environment knobs (set by the tests): ``XRAYSINK_TEST_TRUST`` ("false" ->
``configure(trust_incoming_sampling=False)``; unset -> the argument is not given, so
``XRAYSINK_TRUST_INCOMING_SAMPLING`` or the default decides), ``OTEL_ASGI`` ("1" ->
wrapped in the OpenTelemetry ASGI instrumentation, FastAPI's own telemetry off),
``XRAYSINK_TEST_MIDDLEWARE`` ("0" -> without ``xray_middleware``).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from starlette.middleware.base import BaseHTTPMiddleware

import xraysink
from xraysink.asgi.middleware import xray_middleware

options: dict[str, Any] = {}
if os.environ.get("XRAYSINK_TEST_TRUST") == "false":
    options["trust_incoming_sampling"] = False
xraysink.configure(service="guarded", sampler=ALWAYS_OFF, **options)

otel_asgi = os.environ.get("OTEL_ASGI") == "1"
app = FastAPI(telemetry={"tracing": not otel_asgi})
if os.environ.get("XRAYSINK_TEST_MIDDLEWARE") != "0":
    app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)


@app.get("/work")
async def work() -> dict[str, str]:
    with trace.get_tracer(__name__).start_as_current_span("step"):
        pass
    return {"status": "done"}


if otel_asgi:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app = OpenTelemetryMiddleware(app)  # type: ignore[assignment]
