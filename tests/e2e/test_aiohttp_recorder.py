"""The 1.6.2 call sites under a real aiohttp server, documents at a real UDP receiver."""

from __future__ import annotations

import sys
from collections.abc import Iterator

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
from tests.servers import APPS, daemon_env, serve
from xraysink.receiver.server import Receiver


@pytest.fixture(scope="module")
def base_url(daemon: Receiver) -> Iterator[str]:
    with serve([sys.executable, str(APPS / "recorder_aiohttp.py")], daemon_env(daemon.port)) as url:
        yield url


def only_segment(entities: list[dict]) -> dict:
    (segment,) = segments(entities)
    return segment


def test_ok_request(base_url: str, daemon: Receiver) -> None:
    response = httpx.get(base_url + "/ok?x=1", headers={"User-Agent": "pytest-agent"})
    segment = only_segment(wait_for_trace(daemon, root_of(response), 1))
    assert segment["name"] == "recorder-aiohttp"
    assert segment["http"]["request"] == {
        "method": "GET",
        "url": base_url + "/ok?x=1",
        "user_agent": "pytest-agent",
        "client_ip": "127.0.0.1",
    }
    assert segment["http"]["response"]["status"] == 200
    assert segment["aws"]["cloudwatch_logs"] == [{"log_group": "/test/recorder-aiohttp"}]


@pytest.mark.parametrize(
    ("path", "code", "flags"),
    [
        ("/missing", 404, {"error"}),
        ("/status/429", 429, {"error", "throttle"}),
        ("/status/502", 502, {"fault"}),
    ],
)
def test_status_flags(
    base_url: str, daemon: Receiver, path: str, code: int, flags: set[str]
) -> None:
    response = httpx.get(base_url + path)
    assert response.status_code == code
    segment = only_segment(wait_for_trace(daemon, root_of(response), 1))
    assert segment["http"]["response"]["status"] == code
    assert {flag for flag in ("error", "fault", "throttle") if segment.get(flag)} == flags


def test_unhandled_exception(base_url: str, daemon: Receiver) -> None:
    root = new_root()
    response = httpx.get(base_url + "/boom", headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=1"})
    assert response.status_code == 500
    segment = only_segment(wait_for_trace(daemon, root, 1))
    assert segment["fault"] is True
    assert segment["http"]["response"]["status"] == 500
    (exception,) = segment["cause"]["exceptions"]
    assert exception["type"] == "RuntimeError"
    assert exception["stack"][0]["label"] == "boom"


def test_x_forwarded_for_and_sampled_question_mark(base_url: str, daemon: Receiver) -> None:
    root = new_root()
    headers = {"X-Forwarded-For": "198.51.100.9", "X-Amzn-Trace-Id": f"Root={root};Sampled=?"}
    response = httpx.get(base_url + "/ok", headers=headers)
    assert response.headers["x-amzn-trace-id"] == f"Root={root};Sampled=1"
    request = only_segment(wait_for_trace(daemon, root, 1))["http"]["request"]
    assert request["client_ip"] == "198.51.100.9"
    assert request["x_forwarded_for"] is True


def test_streamed_response(base_url: str, daemon: Receiver) -> None:
    root = new_root()
    response = httpx.get(base_url + "/stream", headers={"X-Amzn-Trace-Id": f"Root={root}"})
    assert response.content == b"chunk 0\nchunk 1\nchunk 2\n"
    segment = only_segment(wait_for_trace(daemon, root, 1))
    assert segment["end_time"] - segment["start_time"] >= 0.15


def test_task_and_outgoing_call(base_url: str, daemon: Receiver) -> None:
    response = httpx.post(base_url + "/task")
    entities = wait_for_trace(daemon, root_of(response), 3, until=lambda e: len(segments(e)) == 2)
    (create,) = by_name(entities, "Create Task: refresh")
    (task,) = [s for s in segments(entities) if s.get("parent_id") == create["id"]]
    assert task["http"]["request"]["url"] == "task://localhost/refresh"

    response = httpx.get(base_url + "/outgoing")
    entities = wait_for_trace(daemon, root_of(response), 3, until=lambda e: len(segments(e)) == 2)
    (client,) = [e for e in entities if e.get("namespace") == "remote"]
    downstream = next(s for s in segments(entities) if s["http"]["request"]["url"].endswith("/ok"))
    assert downstream["parent_id"] == client["id"]


def test_handler_trace_has_the_shape_of_1_6_2(base_url: str, daemon: Receiver) -> None:
    response = httpx.post(base_url + "/shape")
    assert response.json() == {"status": "shaped"}
    entities = wait_for_trace(daemon, root_of(response), 5, until=lambda e: len(segments(e)) == 2)
    assert_shape_of_1_6_2(entities, "recorder-aiohttp", "refresh")


def test_remote_addr_header_is_a_forwarded_client(base_url: str, daemon: Receiver) -> None:
    response = httpx.get(base_url + "/ok", headers={"remote-addr": "198.51.100.4"})
    request = only_segment(wait_for_trace(daemon, root_of(response), 1))["http"]["request"]
    assert request["client_ip"] == "198.51.100.4"
    assert request["x_forwarded_for"] is True
