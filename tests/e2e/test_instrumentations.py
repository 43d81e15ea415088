"""OpenTelemetry client instrumentations inside a request traced by ``xray_middleware``,
under both set-ups (1.6.2 recorder and ``xraysink.configure``): each call is one
subsegment of the request's segment, outgoing calls carry the trace header, and log
lines carry the trace's ids (issue 3 §2 and §4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from tests.apps.downstream import Downstream, downstream
from tests.e2e.xray import descends_from, root_of, segments, wait_for_trace
from tests.servers import daemon_env, serve, serve_all, uvicorn
from xraysink.receiver.server import Receiver

MODES = ("recorder", "otel")
# The request segment, three HTTP calls, one DynamoDB call, SQLAlchemy's connect and
# SELECT, and one API span; OpenTelemetry-first, FastAPI's three operation spans too.
ENTITIES_PER_REQUEST = {"recorder": 8, "otel": 11}


class App(NamedTuple):
    url: str
    log_file: Path


class Call(NamedTuple):
    mode: str
    daemon: Receiver
    downstream: Downstream
    root: str
    entities: list[dict[str, Any]]
    log_file: Path


@pytest.fixture(scope="module")
def down() -> Iterator[Downstream]:
    with downstream() as started:
        yield started


@pytest.fixture(scope="module")
def apps(
    daemon: Receiver, down: Downstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, App]]:
    """Both set-ups of ``instrumented_fastapi``, started side by side; the OTel-first
    one also propagates W3C ``traceparent`` (``OTEL_PROPAGATORS``)."""
    folder = tmp_path_factory.mktemp("logs")
    extra = {"recorder": {}, "otel": {"OTEL_PROPAGATORS": "tracecontext,xray"}}
    managers = {
        mode: serve(
            uvicorn("instrumented_fastapi:app"),
            daemon_env(
                daemon.port,
                XRAYSINK_TEST_MODE=mode,
                DOWNSTREAM_URL=down.url,
                XRAYSINK_TEST_LOG_FILE=str(folder / f"{mode}.log"),
                **extra[mode],
            ),
        )
        for mode in MODES
    }
    with serve_all(managers) as started:
        yield {mode: App(url, folder / f"{mode}.log") for mode, url in started.items()}


@pytest.fixture(scope="module", params=MODES)
def call(
    request: pytest.FixtureRequest, apps: dict[str, App], daemon: Receiver, down: Downstream
) -> Call:
    """One ``GET /calls`` on the app of the mode, with everything that arrived."""
    app = apps[request.param]
    response = httpx.get(app.url + "/calls", timeout=20)
    assert response.status_code == 200
    assert response.json() == {"tables": ["orders"], "rows": 1}
    root = root_of(response)
    entities = wait_for_trace(daemon, root, ENTITIES_PER_REQUEST[request.param])
    return Call(request.param, daemon, down, root, entities, app.log_file)


def clients(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The remote and aws subsegments, keyed by the path they called (``sql:`` + name
    for SQL)."""
    found: dict[str, dict[str, Any]] = {}
    for entity in entities:
        if "sql" in entity:
            found["sql:" + entity["name"]] = entity
        elif entity.get("namespace") in ("remote", "aws"):
            found[httpx.URL(entity["http"]["request"]["url"]).path] = entity
    return found


def test_each_call_is_one_subsegment_of_the_request_segment(call: Call) -> None:
    (segment,) = segments(call.entities)
    assert segment["name"] in ("instrumented-recorder", "instrumented-otel")
    assert len(call.entities) == ENTITIES_PER_REQUEST[call.mode]
    calls = clients(call.entities)
    assert sorted(calls) == ["/", "/aiohttp", "/httpx", "/requests", "sql:SELECT", "sql:connect"]
    for entity in calls.values():
        assert descends_from(call.entities, entity, segment), entity
        assert "trace_id" not in entity and entity.get("type") != "subsegment"
    for path in ("/httpx", "/aiohttp", "/requests"):
        http = calls[path]
        assert http["namespace"] == "remote"
        assert http["name"] == "127.0.0.1"
        assert http["http"]["request"]["method"] == "GET"
        assert http["http"]["request"]["url"] == call.downstream.url + path
        assert http["http"]["response"]["status"] == 200
    dynamodb = calls["/"]
    assert dynamodb["name"] == "DynamoDB"
    assert dynamodb["namespace"] == "aws"
    assert dynamodb["aws"]["operation"] == "ListTables"
    assert dynamodb["aws"]["request_id"].startswith("REQ")
    assert dynamodb["http"]["response"]["status"] == 200
    select = calls["sql:SELECT"]
    assert select["namespace"] == "remote"
    assert select["sql"]["database_type"] == "sqlite"
    assert select["sql"]["sanitized_query"] == "SELECT 1"


def test_outgoing_calls_carry_root_client_span_and_decision(call: Call) -> None:
    calls = clients(call.entities)
    w3c = call.entities[0]["name"] == "instrumented-otel"
    hex_id = call.root[2:].replace("-", "")
    for path in ("/httpx", "/aiohttp", "/requests", "/"):
        headers = call.downstream.received(path, call.root)
        parent = calls[path]["id"]
        assert headers["x-amzn-trace-id"] == f"Root={call.root};Parent={parent};Sampled=1"
        if w3c and path != "/":
            assert headers["traceparent"] == f"00-{hex_id}-{parent}-01"
        else:
            # botocore sends the X-Ray header only (AWS services read nothing else).
            assert "traceparent" not in headers


def test_log_lines_carry_the_ids_of_the_trace_and_entity(call: Call) -> None:
    lines = [json.loads(line) for line in call.log_file.read_text().splitlines()]
    ready = next(line for line in lines if line["message"] == "app ready")
    assert ready == {"level": "INFO", "message": "app ready"}
    mine = [line for line in lines if line.get("traceId") == call.root]
    assert [line["message"] for line in mine] == ["calling out", "summarised"]
    ids = {entity["name"]: entity["id"] for entity in call.entities}
    # The handler runs in FastAPI's endpoint span where framework spans are recorded,
    # in the request segment under the 1.6.2 call sites.
    (segment,) = segments(call.entities)
    endpoint = ids["fastapi.endpoint"] if call.mode == "otel" else segment["id"]
    assert mine[0]["spanId"] == endpoint
    assert mine[1]["spanId"] == ids["summarise"]
