"""Flask with the X-Ray SDK's ``XRayMiddleware``; ``APP_SETUP`` picks the set-up:

- ``recorder``: ``xray_recorder.configure(context=AsyncContext(), ...)`` (xraysink 1.6.2);
- ``xraysink``: ``xraysink.configure(...)`` then a plain ``xray_recorder.configure(service=...)``.

``/orders/<n>``: an SDK subsegment renamed after it started, an OpenTelemetry span, and
a ``patch()``ed ``requests`` call to ``?downstream=URL``; ``/fail`` raises; ``/missing``
answers 404. Bodies name the serving process (``pid``).
"""

from __future__ import annotations

import os

SETUP = os.environ.get("APP_SETUP", "recorder")
if SETUP == "xraysink":
    import xraysink

    xraysink.configure("flask-app")

import requests  # noqa: E402
from aws_xray_sdk.core import patch, xray_recorder  # noqa: E402
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware  # noqa: E402
from flask import Flask, abort, request  # noqa: E402
from opentelemetry import trace  # noqa: E402

if SETUP == "recorder":
    from xraysink.context import AsyncContext

    xray_recorder.configure(context=AsyncContext(), service="flask-app", sampling=False)
else:
    xray_recorder.configure(service="flask-app")
patch(["requests"])

app = Flask(__name__)
XRayMiddleware(app, xray_recorder)


@app.route("/orders/<int:order>")
def order(order: int) -> dict[str, int]:
    with xray_recorder.in_subsegment("lookup") as subsegment:
        subsegment.name = f"lookup {order}"
        subsegment.put_annotation("order", order)
    with trace.get_tracer(__name__).start_as_current_span("otel step"):
        pass
    downstream = request.args.get("downstream")
    if downstream:
        requests.get(downstream, timeout=5)
    return {"order": order, "pid": os.getpid()}


@app.route("/fail")
def fail() -> str:
    raise KeyError("no such order")


@app.route("/missing")
def missing() -> str:
    abort(404)
