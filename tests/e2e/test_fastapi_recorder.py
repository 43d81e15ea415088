"""The 1.6.2 call sites under a real uvicorn server, documents at a real UDP receiver.

The app (tests/apps/recorder_fastapi.py) configures the recorder at import time,
as the 1.6.2 README says. It runs twice: with FastAPI's own telemetry on (which makes
no span under these call sites: the traces keep 1.6.2's shape) and off.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.xray import (
    assert_shape_of_1_6_2,
    by_name,
    new_root,
    root_of,
    segments,
    wait_for_trace,
)
from tests.servers import daemon_env, serve, uvicorn
from xraysink import __version__
from xraysink.receiver.server import Receiver

CALLER_PARENT = "53995c3f42cd8ad8"


@pytest.fixture(scope="module", params=["fastapi-telemetry", "middleware-span"])
def base_url(request: pytest.FixtureRequest, daemon: Receiver) -> Iterator[str]:
    tracing = "1" if request.param == "fastapi-telemetry" else "0"
    env = daemon_env(daemon.port, FASTAPI_TRACING=tracing)
    with serve(uvicorn("recorder_fastapi:app"), env) as url:
        yield url


def request_segment(entities: list[dict]) -> dict:
    (segment,) = [
        s for s in segments(entities) if not s["http"]["request"]["url"].startswith("task:")
    ]
    return segment


def test_ok_request_is_one_segment_with_http_fields(base_url: str, daemon: Receiver) -> None:
    response = httpx.get(base_url + "/ok?colour=green", headers={"User-Agent": "pytest-agent"})
    assert response.status_code == 200
    entities = wait_for_trace(daemon, root_of(response), 1)
    segment = request_segment(entities)
    assert segment["name"] == "recorder-fastapi"
    assert "parent_id" not in segment
    assert segment["http"]["request"] == {
        "method": "GET",
        "url": base_url + "/ok?colour=green",
        "user_agent": "pytest-agent",
        "client_ip": "127.0.0.1",
    }
    assert segment["http"]["response"]["status"] == 200
    assert segment["http"]["response"]["content_length"] == len(response.content)
    assert not {"error", "fault", "throttle"} & segment.keys()
    assert segment["aws"]["cloudwatch_logs"] == [{"log_group": "/test/recorder-fastapi"}]
    # FastAPI's own spans are not recorded under the 1.6.2 call sites: one entity, as 1.6.2.
    assert entities == [segment]


@pytest.mark.parametrize(
    ("code", "flags"),
    [(404, {"error"}), (429, {"error", "throttle"}), (418, {"error"}), (503, {"fault"})],
)
def test_status_flags(base_url: str, daemon: Receiver, code: int, flags: set[str]) -> None:
    response = httpx.get(f"{base_url}/status/{code}")
    assert response.status_code == code
    segment = request_segment(wait_for_trace(daemon, root_of(response), 1))
    assert segment["http"]["response"]["status"] == code
    assert {flag for flag in ("error", "fault", "throttle") if segment.get(flag)} == flags


def test_unhandled_exception_is_a_fault_with_chained_cause(base_url: str, daemon: Receiver) -> None:
    root = new_root()
    response = httpx.get(base_url + "/boom", headers={"X-Amzn-Trace-Id": f"Root={root}"})
    assert response.status_code == 500
    entities = wait_for_trace(daemon, root, 1)
    segment = request_segment(entities)
    assert segment["fault"] is True
    assert segment["http"]["response"]["status"] == 500
    outer, inner = segment["cause"]["exceptions"][:2]
    assert outer["type"] == "RuntimeError"
    assert outer["message"] == "the kettle is broken"
    assert outer["cause"] == inner["id"]
    assert inner["type"] == "KeyError"
    assert outer["stack"][0]["label"] == "boom"
    assert outer["stack"][0]["path"].endswith("recorder_fastapi.py")
    assert all(isinstance(frame["line"], int) for frame in outer["stack"])


def test_incoming_header_continues_the_callers_trace(base_url: str, daemon: Receiver) -> None:
    trace_id = new_root()
    header = f"Root={trace_id};Parent={CALLER_PARENT};Sampled=1"
    response = httpx.get(base_url + "/ok", headers={"X-Amzn-Trace-Id": header})
    assert response.headers["x-amzn-trace-id"] == f"Root={trace_id}"
    segment = request_segment(wait_for_trace(daemon, trace_id, 1))
    assert segment["parent_id"] == CALLER_PARENT


@pytest.mark.parametrize(
    "template",
    [
        "Root={root}",  # an ALB: Root without Parent
        "root={upper}; sampled=1;",  # any case, spaces, stray ";"
    ],
)
def test_lenient_header_keeps_the_root(base_url: str, daemon: Receiver, template: str) -> None:
    root = new_root()
    header = template.format(root=root, upper=root.upper())
    response = httpx.get(base_url + "/ok", headers={"X-Amzn-Trace-Id": header})
    assert root_of(response) == root
    assert "parent_id" not in request_segment(wait_for_trace(daemon, root, 1))


def test_sampled_question_mark_is_answered(base_url: str, daemon: Receiver) -> None:
    root = new_root()
    response = httpx.get(base_url + "/ok", headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=?"})
    assert response.headers["x-amzn-trace-id"] == f"Root={root};Sampled=1"
    assert request_segment(wait_for_trace(daemon, root, 1))["http"]["response"]["status"] == 200


def test_unsampled_request_answers_callers_root_and_sends_nothing(
    base_url: str, daemon: Receiver
) -> None:
    root = new_root()
    header = f"Root={root};Parent={CALLER_PARENT};Sampled=0"
    response = httpx.get(base_url + "/outgoing", headers={"X-Amzn-Trace-Id": header})
    assert response.status_code == 200
    assert response.headers["x-amzn-trace-id"] == f"Root={root}"
    # A sampled request afterwards: once it arrived, the unsampled one would have too.
    marker = httpx.get(base_url + "/ok")
    wait_for_trace(daemon, root_of(marker), 1)
    assert not [d for d in daemon.documents if d.get("trace_id") == root]


def test_x_forwarded_for_first_address_is_the_client(base_url: str, daemon: Receiver) -> None:
    response = httpx.get(base_url + "/ok", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})
    request = request_segment(wait_for_trace(daemon, root_of(response), 1))["http"]["request"]
    assert request["client_ip"] == "203.0.113.7"
    assert request["x_forwarded_for"] is True


def test_streamed_response_segment_ends_with_the_body(base_url: str, daemon: Receiver) -> None:
    started = time.time()
    with httpx.stream("GET", base_url + "/stream") as response:
        headers_at = time.time()
        body = response.read()
        trace_id = root_of(response)
    assert body == b"chunk 0\nchunk 1\nchunk 2\n"
    segment = request_segment(wait_for_trace(daemon, trace_id, 1))
    # The app sleeps before each of its 3 chunks; the headers leave before the first one.
    assert segment["end_time"] - segment["start_time"] >= 0.55
    assert segment["end_time"] > headers_at - 0.05 >= started - 0.05


def test_sync_endpoint_runs_inside_the_trace(base_url: str, daemon: Receiver) -> None:
    response = httpx.get(base_url + "/sync")
    assert response.json()["thread"] != "MainThread"
    entities = wait_for_trace(daemon, root_of(response), 1)
    assert request_segment(entities)["http"]["response"]["status"] == 200


def test_task_inside_a_request_is_a_child_segment(base_url: str, daemon: Receiver) -> None:
    response = httpx.post(base_url + "/task")
    entities = wait_for_trace(daemon, root_of(response), 3, until=lambda e: len(segments(e)) == 2)
    assert len(entities) == 3
    request = request_segment(entities)
    (create,) = by_name(entities, "Create Task: refresh")
    assert create["namespace"] == "local"
    assert create["_parent"] == request["id"]
    (task,) = [s for s in segments(entities) if s is not request]
    assert task["parent_id"] == create["id"]
    assert task["name"] == "recorder-fastapi"
    assert task["http"]["request"] == {
        "url": "task://localhost/refresh",
        "client_ip": "127.0.0.1",
        "user_agent": f"BackgroundTask xraysink/{__version__}",
    }


def test_handler_trace_has_the_shape_of_1_6_2(base_url: str, daemon: Receiver) -> None:
    response = httpx.post(base_url + "/shape")
    assert response.json() == {"status": "shaped"}
    entities = wait_for_trace(daemon, root_of(response), 5, until=lambda e: len(segments(e)) == 2)
    assert_shape_of_1_6_2(entities, "recorder-fastapi", "refresh")


@pytest.mark.parametrize("header", ["remote-addr", "remote_addr"])
def test_remote_addr_header_is_a_forwarded_client(
    base_url: str, daemon: Receiver, header: str
) -> None:
    # 1.6.2 took client_ip from these headers after X-Forwarded-For.
    response = httpx.get(base_url + "/ok", headers={header: "198.51.100.4"})
    request = request_segment(wait_for_trace(daemon, root_of(response), 1))["http"]["request"]
    assert request["client_ip"] == "198.51.100.4"
    assert request["x_forwarded_for"] is True


def test_x_forwarded_for_wins_over_remote_addr(base_url: str, daemon: Receiver) -> None:
    headers = {"X-Forwarded-For": "203.0.113.7", "remote-addr": "198.51.100.4"}
    response = httpx.get(base_url + "/ok", headers=headers)
    request = request_segment(wait_for_trace(daemon, root_of(response), 1))["http"]["request"]
    assert request["client_ip"] == "203.0.113.7"


def test_task_paths_and_failures(base_url: str, daemon: Receiver) -> None:
    response = httpx.post(base_url + "/tasks/all")
    entities = wait_for_trace(daemon, root_of(response), 9, until=lambda e: len(segments(e)) == 5)
    creates = {e["name"] for e in entities if e["name"].startswith("Create Task: ")}
    assert creates == {
        "Create Task: failing_task",
        "Create Task: Jobs/run",
        "Create Task: Jobs/sweep",
        "Create Task: custom/path",
    }
    tasks = {s["http"]["request"]["url"]: s for s in segments(entities) if "parent_id" in s}
    failed = tasks["task://localhost/failing_task"]
    assert failed["fault"] is True
    assert failed["cause"]["exceptions"][0]["type"] == "ValueError"
    assert failed["cause"]["exceptions"][0]["message"] == "task failed"


def test_task_outside_a_trace_starts_one(base_url: str, daemon: Receiver) -> None:
    def started_at_startup(documents: list[dict]) -> bool:
        return any(
            d.get("http", {}).get("request", {}).get("url") == "task://localhost/custom/path"
            and "parent_id" not in d
            for d in documents
        )

    assert daemon.wait_for(started_at_startup, 10)


def test_outgoing_call_is_a_subsegment_and_downstream_continues(
    base_url: str, daemon: Receiver
) -> None:
    response = httpx.get(base_url + "/outgoing")
    assert response.json() == {"downstream": {"status": "ok"}}
    entities = wait_for_trace(daemon, root_of(response), 3, until=lambda e: len(segments(e)) == 2)
    caller = next(
        s for s in segments(entities) if s["http"]["request"]["url"].endswith("/outgoing")
    )
    (client,) = [e for e in entities if e.get("namespace") == "remote"]
    assert client["http"]["request"]["url"] == base_url + "/ok"
    assert client["http"]["response"]["status"] == 200
    downstream = next(s for s in segments(entities) if s["http"]["request"]["url"].endswith("/ok"))
    assert downstream["parent_id"] == client["id"]
    ancestors = {e["id"]: e["_parent"] for e in entities}
    node = client["id"]
    while node in ancestors and node != caller["id"]:
        node = ancestors[node]
    assert node == caller["id"]


def test_scope_without_client_does_not_crash(daemon: Receiver, tmp_path: Path) -> None:
    # Over a unix socket, uvicorn's scope has no "client".
    socket_path = str(tmp_path / "app.sock")
    command = uvicorn("recorder_fastapi:app")
    command = [*command[: command.index("--host")], "--uds", socket_path, "--log-level", "info"]
    with serve(command, daemon_env(daemon.port), ready=socket_path):
        transport = httpx.HTTPTransport(uds=socket_path)
        with httpx.Client(transport=transport, base_url="http://localhost") as client:
            response = client.get("/ok")
    assert response.status_code == 200
    segment = request_segment(wait_for_trace(daemon, root_of(response), 1))
    assert "client_ip" not in segment["http"]["request"]
