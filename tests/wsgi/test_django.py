"""Django with the X-Ray SDK's app and ``XRayMiddleware`` under xraysink (both set-ups),
and OpenTelemetry-first with ``opentelemetry-instrumentation-django``, each served by a
real WSGI server in its own process."""

from __future__ import annotations

import sys

import pytest

from tests.apps.downstream import downstream
from tests.e2e.xray import by_name
from tests.servers import APPS, daemon_env, serve
from tests.wsgi.checks import check_failure, check_not_found, request_segment, sent_once, traced_get
from xraysink.receiver.server import Receiver

COMMAND = [sys.executable, str(APPS / "wsgi_serve.py"), "django_sdk:application"]


@pytest.mark.parametrize("setup", ["recorder", "xraysink"])
def test_django_sdk_middleware(receiver: Receiver, setup: str) -> None:
    env = daemon_env(receiver.port, APP_SETUP=setup)
    with downstream() as called, serve(COMMAND, env) as base:
        response, entities, parent = traced_get(
            base, "/orders/7", receiver, 6, downstream=called.url + "/stock"
        )
        assert response.status_code == 200
        segment = request_segment(entities, "django-app", parent, 200, "/orders/7")
        # Renamed after they started: the database's HOST, the template's name.
        (query,) = by_name(entities, "orders-db")
        assert query["_parent"] == segment["id"] and query["namespace"] == "remote"
        assert query["sql"]["database_type"] == "sqlite"
        (template,) = by_name(entities, "order.html")
        assert template["_parent"] == segment["id"]
        (lookup,) = by_name(entities, "lookup 7")
        assert lookup["annotations"] == {"order": 7}
        (otel_step,) = by_name(entities, "otel step")
        assert otel_step["_parent"] == segment["id"]
        (call,) = by_name(entities, "127.0.0.1")
        assert call["_parent"] == segment["id"] and call["http"]["response"]["status"] == 200
        check_failure(base, receiver, "django-app")
        check_not_found(base, receiver, "django-app")
        sent_once(receiver)
    assert "Root=" in called.requests[0][2]["x-amzn-trace-id"]


def test_django_otel_first(receiver: Receiver) -> None:
    env = daemon_env(receiver.port, APP_SETUP="otel")
    with downstream() as called, serve(COMMAND, env) as base:
        response, entities, parent = traced_get(
            base, "/orders/7", receiver, 3, downstream=called.url + "/stock"
        )
        assert response.status_code == 200
        segment = request_segment(entities, "django-app", parent, 200, "/orders/7")
        (otel_step,) = by_name(entities, "otel step")
        assert otel_step["_parent"] == segment["id"]
        (call,) = by_name(entities, "127.0.0.1")
        assert call["_parent"] == segment["id"] and call["namespace"] == "remote"
        check_failure(base, receiver, "django-app")
        check_not_found(base, receiver, "django-app")
        sent_once(receiver)
    sent = called.requests[0][2]["x-amzn-trace-id"]
    assert f"Parent={call['id']}" in sent
