"""Bottle with the X-Ray SDK's ``XRayMiddleware`` plugin; ``APP_SETUP`` picks the set-up
(``recorder``: ``AsyncContext()``, the 1.6.2 way; ``xraysink``: ``xraysink.configure``
first). Routes as in ``flask_sdk``: ``/orders/<n>`` and ``/fail``."""

from __future__ import annotations

import os
from typing import Any

SETUP = os.environ.get("APP_SETUP", "recorder")
if SETUP == "xraysink":
    import xraysink

    xraysink.configure("bottle-app")

import bottle  # noqa: E402
import requests  # noqa: E402
from aws_xray_sdk.core import patch, xray_recorder  # noqa: E402
from aws_xray_sdk.ext.bottle.middleware import XRayMiddleware  # noqa: E402
from opentelemetry import trace  # noqa: E402

if SETUP == "recorder":
    from xraysink.context import AsyncContext

    xray_recorder.configure(context=AsyncContext(), service="bottle-app", sampling=False)
else:
    xray_recorder.configure(service="bottle-app")
patch(["requests"])

app = bottle.Bottle()
app.install(XRayMiddleware(xray_recorder))


@app.route("/orders/<order:int>")
def order(order: int) -> dict[str, Any]:
    with xray_recorder.in_subsegment("lookup") as subsegment:
        subsegment.name = f"lookup {order}"
        subsegment.put_annotation("order", order)
    with trace.get_tracer(__name__).start_as_current_span("otel step"):
        pass
    downstream = bottle.request.query.get("downstream")
    if downstream:
        requests.get(downstream, timeout=5)
    return {"order": order, "pid": os.getpid()}


@app.route("/fail")
def fail() -> str:
    raise KeyError("no such order")
