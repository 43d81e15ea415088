"""Flask served by a real WSGI server in its own process: with the X-Ray SDK's
``XRayMiddleware`` under the 1.6.2 recorder set-up and under ``xraysink.configure``,
and OpenTelemetry-first with ``opentelemetry-instrumentation-flask``: the same
segment every time."""

from __future__ import annotations

import sys

import pytest

from tests.apps.downstream import downstream
from tests.servers import APPS, daemon_env, serve
from tests.wsgi.checks import check_failure, check_not_found, check_order_request, sent_once
from xraysink.receiver.server import Receiver


@pytest.mark.parametrize("setup", ["recorder", "xraysink", "otel"])
def test_flask(receiver: Receiver, setup: str) -> None:
    command = [sys.executable, str(APPS / "wsgi_serve.py"), "flask_sdk:app"]
    env = daemon_env(receiver.port, APP_SETUP=setup)
    with downstream() as called, serve(command, env) as base:
        check_order_request(
            base, receiver, "flask-app", called.url, content_length=setup != "otel", calls=2
        )
        check_failure(base, receiver, "flask-app")
        check_not_found(base, receiver, "flask-app")
        sent_once(receiver)
    assert "Root=" in called.requests[0][2]["x-amzn-trace-id"]
