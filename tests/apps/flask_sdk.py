"""Flask traced three ways; ``APP_SETUP`` picks the set-up:

- ``recorder``: the X-Ray SDK's ``XRayMiddleware`` and ``patch()``, with
  ``xray_recorder.configure(context=AsyncContext(), ...)`` (xraysink 1.6.2);
- ``xraysink``: the same call sites after ``xraysink.configure(...)``, then a plain
  ``xray_recorder.configure(service=...)``;
- ``otel``: no X-Ray SDK, ``opentelemetry-instrumentation-flask`` and ``-requests``
  under ``xraysink.configure(...)``.

``/orders/<n>``: a subsegment renamed after it started (an SDK subsegment, or a span
whose attribute ``order`` is indexed), an OpenTelemetry span, and calls to
``?downstream=URL`` with ``requests`` and with OpenTelemetry-instrumented ``httpx``,
then sleeps ``?sleep=`` seconds; ``/fail`` raises; ``/missing`` answers 404. Bodies
name the serving process (``pid``).
"""

from __future__ import annotations

import os
import time

SETUP = os.environ.get("APP_SETUP", "recorder")
if SETUP in ("xraysink", "otel"):
    import xraysink

    xraysink.configure("flask-app", indexed_attributes=["order"])

import httpx  # noqa: E402
import requests  # noqa: E402
from flask import Flask, abort, request  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: E402

app = Flask(__name__)
HTTPXClientInstrumentor().instrument()
if SETUP == "otel":
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    FlaskInstrumentor().instrument_app(app)
    RequestsInstrumentor().instrument()
else:
    from aws_xray_sdk.core import patch, xray_recorder
    from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

    if SETUP == "recorder":
        from xraysink.context import AsyncContext

        xray_recorder.configure(context=AsyncContext(), service="flask-app", sampling=False)
    else:
        xray_recorder.configure(service="flask-app")
    patch(["requests"])
    XRayMiddleware(app, xray_recorder)


@app.route("/orders/<int:order>")
def order(order: int) -> dict[str, int]:
    if SETUP == "otel":
        with trace.get_tracer(__name__).start_as_current_span("lookup") as span:
            span.update_name(f"lookup {order}")
            span.set_attribute("order", order)
    else:
        with xray_recorder.in_subsegment("lookup") as subsegment:
            subsegment.name = f"lookup {order}"
            subsegment.put_annotation("order", order)
    with trace.get_tracer(__name__).start_as_current_span("otel step"):
        pass
    downstream = request.args.get("downstream")
    if downstream:
        requests.get(downstream, timeout=5)
        httpx.get(downstream, timeout=5)
    time.sleep(float(request.args.get("sleep", 0)))
    return {"order": order, "pid": os.getpid()}


@app.route("/fail")
def fail() -> str:
    raise KeyError("no such order")


@app.route("/missing")
def missing() -> str:
    abort(404)
