"""FastAPI app for fault and soak tests: each request opens three child spans.

Configured with ``xraysink.configure`` from the environment (``AWS_XRAY_DAEMON_ADDRESS``),
so a test points it at a dead port, an unresolvable host or a live receiver.
``/stats`` returns the span processor's counters and the process RSS.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from starlette.middleware.base import BaseHTTPMiddleware

import xraysink
from xraysink.asgi.middleware import xray_middleware

xraysink.configure(service="reliability")
processor = xraysink.span_processor()
assert processor is not None

app = FastAPI()
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)
tracer = trace.get_tracer(__name__)


@app.get("/work")
async def work() -> dict[str, int]:
    for step in ("load", "compute", "store"):
        with tracer.start_as_current_span(step, attributes={"step": step}):
            pass
    return {"pid": os.getpid()}


@app.get("/stats")
async def stats() -> dict[str, Any]:
    with open("/proc/self/status", encoding="ascii") as status:
        rss_kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return {"stats": dict(processor.stats), "rss_kib": rss_kib, "pid": os.getpid()}
