"""What every WSGI set-up must send for the same requests: one segment per request
with the fields the X-Ray SDK's middlewares record, its subsegments under it, each
entity once."""

from __future__ import annotations

import os
from typing import Any

import httpx

from tests.e2e.xray import by_name, entities_of, new_root, root_of, segments, wait_for_trace
from xraysink.receiver.server import Receiver


def traced_get(
    base: str, path: str, receiver: Receiver, count: int, **params: str
) -> tuple[httpx.Response, list[dict[str, Any]], str]:
    """GET ``path`` under a caller's sampled trace; wait for ``count`` entities of that
    trace. Returns the response, the entities and the caller's parent id."""
    root, parent = new_root(), os.urandom(8).hex()
    header = f"Root={root};Parent={parent};Sampled=1"
    response = httpx.get(
        base + path,
        params=params,
        headers={"X-Amzn-Trace-Id": header, "User-Agent": "checks/1.0"},
        timeout=10,
    )
    # The SDK middlewares answer with the trace header (not on an exception, in Bottle's
    # plugin); OpenTelemetry's WSGI instrumentation never does.
    if "x-amzn-trace-id" in response.headers:
        assert root_of(response) == root
    return response, wait_for_trace(receiver, root, count), parent


def request_segment(
    entities: list[dict[str, Any]], name: str, parent: str, status: int, url_end: str
) -> dict[str, Any]:
    """The one segment of a request, checked against what the SDK middleware records."""
    (segment,) = segments(entities)
    assert segment["name"] == name
    assert segment["parent_id"] == parent
    request = segment["http"]["request"]
    assert request["method"] == "GET"
    assert request["url"].split("?")[0].endswith(url_end), request
    assert request["client_ip"] == "127.0.0.1"
    assert request["user_agent"] == "checks/1.0"
    assert segment["http"]["response"]["status"] == status
    return segment


def check_order_request(
    base: str,
    receiver: Receiver,
    name: str,
    downstream: str,
    *,
    content_length: bool = True,
    response_header: bool = True,
    calls: int = 1,
) -> dict[str, Any]:
    """``/orders/7`` calling ``downstream``: the segment, the renamed subsegment, the
    OpenTelemetry span and the outgoing call, all one trace. ``content_length``: whether
    the set-up records the response's size (OpenTelemetry's WSGI instrumentations do
    not); ``response_header``: whether it answers with ``X-Amzn-Trace-Id`` (the bare
    WSGI instrumentation does not); ``calls``: outgoing calls the app makes."""
    response, entities, parent = traced_get(
        base, "/orders/7", receiver, 3 + calls, downstream=downstream + "/stock"
    )
    assert response.status_code == 200
    assert ("x-amzn-trace-id" in response.headers) is response_header
    segment = request_segment(entities, name, parent, 200, "/orders/7")
    if content_length:
        assert segment["http"]["response"]["content_length"] == len(response.content)
    (lookup,) = by_name(entities, "lookup 7")
    assert lookup["_parent"] == segment["id"]
    assert lookup["annotations"] == {"order": 7}
    (otel_step,) = by_name(entities, "otel step")
    assert otel_step["_parent"] == segment["id"]
    made = by_name(entities, "127.0.0.1")
    assert len(made) == calls
    for call in made:
        assert call["_parent"] == segment["id"] and call["namespace"] == "remote"
        assert call["http"]["response"]["status"] == 200
    return segment


def check_failure(base: str, receiver: Receiver, name: str) -> None:
    """``/fail`` raises: a 500 segment with ``fault`` and the exception as ``cause``."""
    response, entities, parent = traced_get(base, "/fail", receiver, 1)
    assert response.status_code == 500
    segment = request_segment(entities, name, parent, 500, "/fail")
    assert segment["fault"] is True
    exceptions = segment["cause"]["exceptions"]
    assert any(e["type"] == "KeyError" and "no such order" in e["message"] for e in exceptions)


def check_not_found(base: str, receiver: Receiver, name: str) -> None:
    response, entities, parent = traced_get(base, "/missing", receiver, 1)
    assert response.status_code == 404
    segment = request_segment(entities, name, parent, 404, "/missing")
    assert segment["error"] is True and "fault" not in segment


def sent_once(receiver: Receiver) -> None:
    """Once everything settled, no entity id arrived twice (the recorder never emits)."""
    receiver.wait_quiet(0.3)
    ids = [entity["id"] for entity in entities_of(receiver.documents, None)]
    assert len(ids) == len(set(ids)), ids
