"""Bottle with the X-Ray SDK's ``XRayMiddleware`` plugin under xraysink (both set-ups),
and a bare WSGI application under ``opentelemetry-instrumentation-wsgi``, each served
by a real WSGI server in its own process."""

from __future__ import annotations

import sys

import pytest

from tests.apps.downstream import downstream
from tests.servers import APPS, daemon_env, serve
from tests.wsgi.checks import check_failure, check_not_found, check_order_request, sent_once
from xraysink.receiver.server import Receiver


@pytest.mark.parametrize("setup", ["recorder", "xraysink"])
def test_bottle_sdk_plugin(receiver: Receiver, setup: str) -> None:
    command = [sys.executable, str(APPS / "wsgi_serve.py"), "bottle_sdk:app"]
    env = daemon_env(receiver.port, APP_SETUP=setup)
    with downstream() as called, serve(command, env) as base:
        # Bottle sets Content-Length after the plugin has returned: the SDK records none.
        check_order_request(base, receiver, "bottle-app", called.url, content_length=False)
        check_failure(base, receiver, "bottle-app")
        sent_once(receiver)


def test_wsgi_otel_first(receiver: Receiver) -> None:
    command = [sys.executable, str(APPS / "wsgi_serve.py"), "wsgi_otel:app"]
    with downstream() as called, serve(command, daemon_env(receiver.port)) as base:
        check_order_request(
            base,
            receiver,
            "wsgi-app",
            called.url,
            content_length=False,
            response_header=False,
        )
        check_not_found(base, receiver, "wsgi-app")
        sent_once(receiver)
