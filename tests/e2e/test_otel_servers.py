"""Servers traced by OpenTelemetry instrumentations alone, without ``xray_middleware``
(FastAPI's instrumentor, the ASGI ``OpenTelemetryMiddleware``, the aiohttp server
instrumentation), configured with ``xraysink.configure``: the request segment has
the middleware's fields and continues the caller's trace header (issue 3 §2)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.xray import descends_from, entities_of, new_root, segments, wait_for_trace
from tests.servers import APPS, daemon_env, serve, serve_all, uvicorn
from xraysink.receiver.server import Receiver

PARENT = "53995c3f42cd8ad8"
AIOHTTP_NO_PEER = pytest.mark.xfail(
    strict=True,
    reason="opentelemetry-instrumentation-aiohttp-server records no client address",
)
AIOHTTP_NO_RESPONSE_HOOK = pytest.mark.xfail(
    strict=True,
    reason="the aiohttp server instrumentation calls no response propagator",
)
SERVERS = ("fastapi", "asgi", "aiohttp")


@pytest.fixture(scope="module")
def urls(daemon: Receiver) -> Iterator[dict[str, str]]:
    """The three servers, started side by side."""
    managers = {
        kind: serve(
            [sys.executable, str(APPS / "otel_servers.py")]
            if kind == "aiohttp"
            else uvicorn("otel_servers:app"),
            daemon_env(daemon.port, OTEL_SERVER=kind),
        )
        for kind in SERVERS
    }
    with serve_all(managers) as started:
        yield started


def request(url: str, daemon: Receiver, header: str | None = None) -> list[dict[str, Any]]:
    """``GET /hello?x=1``; the entities of the trace holding its ``work`` span."""
    headers = {"User-Agent": "pytest-agent"}
    if header is not None:
        headers["X-Amzn-Trace-Id"] = header
    response = httpx.get(url + "/hello?x=1", headers=headers)
    assert response.status_code == 200
    work = response.json()["work"]

    def trace_of_work() -> str | None:
        for document in list(daemon.documents):
            for entity in entities_of([document], document.get("trace_id", "")):
                if entity["id"] == work:
                    return str(document["trace_id"])
        return None

    daemon.wait_for(lambda _documents: trace_of_work() is not None, 10)
    trace_id = trace_of_work()
    assert trace_id is not None
    return wait_for_trace(daemon, trace_id, 2)


@pytest.mark.parametrize(
    "kind", ["fastapi", "asgi", pytest.param("aiohttp", marks=AIOHTTP_NO_PEER)]
)
def test_request_segment_has_the_middlewares_fields(
    kind: str, urls: dict[str, str], daemon: Receiver
) -> None:
    entities = request(urls[kind], daemon)
    (segment,) = segments(entities)
    (work,) = [entity for entity in entities if entity["name"] == "work"]
    assert descends_from(entities, work, segment)
    assert segment["name"] == "otel-server"
    assert "parent_id" not in segment
    assert segment["http"]["response"]["status"] == 200
    assert segment["http"]["request"] == {
        "method": "GET",
        "url": urls[kind] + "/hello?x=1",
        "user_agent": "pytest-agent",
        "client_ip": "127.0.0.1",
    }


@pytest.mark.parametrize("kind", SERVERS)
def test_caller_root_and_parent_are_continued(
    kind: str, urls: dict[str, str], daemon: Receiver
) -> None:
    root = new_root()
    entities = request(urls[kind], daemon, f"Root={root};Parent={PARENT};Sampled=1")
    (segment,) = segments(entities)
    assert segment["trace_id"] == root
    assert segment["parent_id"] == PARENT


@pytest.mark.parametrize("kind", ["fastapi", "asgi", "aiohttp"])
def test_root_without_parent_is_continued(
    kind: str, urls: dict[str, str], daemon: Receiver
) -> None:
    root = new_root()
    entities = request(urls[kind], daemon, f"Root={root}")
    (segment,) = segments(entities)
    assert segment["trace_id"] == root
    assert "parent_id" not in segment


@pytest.mark.parametrize(
    "kind",
    [
        "fastapi",
        "asgi",
        pytest.param("aiohttp", marks=AIOHTTP_NO_RESPONSE_HOOK),
    ],
)
def test_response_carries_the_trace_header(kind: str, urls: dict[str, str]) -> None:
    root = new_root()
    response = httpx.get(
        urls[kind] + "/hello", headers={"X-Amzn-Trace-Id": f"Root={root};Parent={PARENT}"}
    )
    assert response.headers.get("x-amzn-trace-id") == f"Root={root}"
