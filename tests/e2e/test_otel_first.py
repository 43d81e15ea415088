"""``xraysink.configure(...)`` under a real uvicorn server: one segment per request,
OpenTelemetry API spans as its embedded subsegments, one datagram per request."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.xray import by_name, descends_from, root_of, segments, wait_for_trace
from tests.servers import daemon_env, serve, uvicorn
from xraysink.receiver.server import Receiver


@pytest.fixture(scope="module")
def base_url(daemon: Receiver) -> Iterator[str]:
    with serve(uvicorn("otel_first_fastapi:app"), daemon_env(daemon.port)) as url:
        yield url


def test_request_with_api_spans_is_one_document(base_url: str, daemon: Receiver) -> None:
    response = httpx.get(base_url + "/orders/o-17")
    assert response.status_code == 200
    trace_id = root_of(response)
    entities = wait_for_trace(daemon, trace_id, 3)
    (segment,) = segments(entities)
    assert segment["name"] == "otel-first"
    assert segment["aws"]["cloudwatch_logs"] == [{"log_group": "/test/otel-first"}]
    (load,) = by_name(entities, "load order")
    assert descends_from(entities, load, segment)
    assert load["annotations"] == {"order.id": "o-17"}
    assert load["metadata"]["default"]["rows"] == 3
    (query,) = by_name(entities, "query")
    assert query["_parent"] == load["id"]
    # FastAPI's operation spans and the API spans all ride in the request's one datagram.
    assert len([d for d in daemon.documents if d.get("trace_id") == trace_id]) == 1
