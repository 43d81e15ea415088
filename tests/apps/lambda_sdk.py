"""A Lambda function written with the X-Ray SDK's call sites, under ``xraysink.configure()``.

``handler``: an ``xray_recorder`` subsegment with an annotation and a ``patch()``ed
``requests`` call (to ``event["url"]``); ``flask_handler``: a Flask app with the SDK's
``XRayMiddleware`` served through WSGI (as serverless-wsgi adapters do), whose Lambda
branch records a subsegment per request; ``failing_handler`` raises inside a subsegment.
"""

from __future__ import annotations

from typing import Any

import xraysink

xraysink.configure()

import requests  # noqa: E402
from aws_xray_sdk.core import patch, xray_recorder  # noqa: E402
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware  # noqa: E402
from flask import Flask  # noqa: E402

xray_recorder.configure(service="fn-flask")
patch(["requests"])

app = Flask(__name__)
middleware = XRayMiddleware(app, xray_recorder)


@app.route("/hello")
def hello() -> str:
    with xray_recorder.in_subsegment("render"):
        return "hello"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    segment = xray_recorder.current_segment()
    with xray_recorder.in_subsegment("work") as subsegment:
        subsegment.put_annotation("request_id", context.aws_request_id)
        status = requests.get(event["url"], timeout=5).status_code
    return {"status": status, "facade": [segment.trace_id, segment.id]}


def flask_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = app.test_client().get(event["path"], headers=event.get("headers", {}))
    return {"status": response.status_code, "lambda_branch": middleware.in_lambda_ctx}


def failing_handler(event: dict[str, Any], context: Any) -> None:
    with xray_recorder.in_subsegment("doomed"):
        raise ValueError("bad input")


def leaky_handler(event: dict[str, Any], context: Any) -> None:
    # Begun and never ended: the X-Ray SDK drops it at the next invocation.
    xray_recorder.begin_subsegment("left open")


def quiet_handler(event: dict[str, Any], context: Any) -> None:
    with xray_recorder.in_subsegment("quiet"):
        pass
