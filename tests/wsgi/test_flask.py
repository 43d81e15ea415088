"""Flask with the X-Ray SDK's ``XRayMiddleware`` under xraysink, served by a real WSGI
server in its own process, under the 1.6.2 recorder set-up and under
``xraysink.configure``."""

from __future__ import annotations

import sys

import pytest

from tests.apps.header_server import HeaderServer
from tests.servers import APPS, daemon_env, serve
from tests.wsgi.checks import check_failure, check_not_found, check_order_request, sent_once
from xraysink.receiver.server import Receiver


@pytest.mark.parametrize("setup", ["recorder", "xraysink"])
def test_flask_sdk_middleware(receiver: Receiver, setup: str) -> None:
    command = [sys.executable, str(APPS / "wsgi_serve.py"), "flask_sdk:app"]
    env = daemon_env(receiver.port, APP_SETUP=setup)
    with HeaderServer() as downstream, serve(command, env) as base:
        check_order_request(base, receiver, "flask-app", downstream.url)
        check_failure(base, receiver, "flask-app")
        check_not_found(base, receiver, "flask-app")
        sent_once(receiver)
    assert "Root=" in downstream.headers_seen[0]["X-Amzn-Trace-Id"]
