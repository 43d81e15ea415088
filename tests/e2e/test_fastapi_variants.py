"""The recorder app in other configurations: X-Ray SDK disabled, recorder sampling at
0%, and wrapped in the OpenTelemetry ASGI instrumentation."""

from __future__ import annotations

import httpx

from tests.e2e.xray import assert_shape_of_1_6_2, root_of, wait_for_trace
from tests.servers import daemon_env, serve, uvicorn
from xraysink.receiver.server import Receiver

ROOT = "1-6a1b2c3d-0000000000000000000bbbb{}"
PARENT = "53995c3f42cd8ad8"


def test_disabled_sdk_sends_nothing_and_keeps_callers_root() -> None:
    with (
        Receiver() as daemon,
        serve(
            uvicorn("recorder_fastapi:app"), daemon_env(daemon.port, XRAYSINK_TEST_DISABLE="1")
        ) as url,
    ):
        root = ROOT.format(1)
        sent = httpx.get(
            url + "/outgoing", headers={"X-Amzn-Trace-Id": f"Root={root};Parent={PARENT};Sampled=1"}
        )
        fresh = httpx.post(url + "/task")
        assert sent.status_code == 200 and fresh.status_code == 200
        assert sent.headers["x-amzn-trace-id"] == f"Root={root}"
        assert root_of(fresh) != "1-00000000-000000000000000000000000"
        daemon.wait_quiet(0.5, 5)
        assert daemon.count == 0


def test_recorder_sampler_decides_and_incoming_decision_wins() -> None:
    with (
        Receiver() as daemon,
        serve(
            uvicorn("recorder_fastapi:app"), daemon_env(daemon.port, XRAYSINK_TEST_SAMPLING="0")
        ) as url,
    ):
        unsampled = httpx.get(url + "/ok")
        asked = httpx.get(
            url + "/ok", headers={"X-Amzn-Trace-Id": f"Root={ROOT.format(2)};Sampled=?"}
        )
        assert asked.headers["x-amzn-trace-id"] == f"Root={ROOT.format(2)};Sampled=0"
        forced = httpx.get(
            url + "/ok",
            headers={"X-Amzn-Trace-Id": f"Root={ROOT.format(3)};Parent={PARENT};Sampled=1"},
        )
        wait_for_trace(daemon, ROOT.format(3), 1)
        trace_ids = {d.get("trace_id") for d in daemon.documents}
        assert root_of(unsampled) not in trace_ids
        assert ROOT.format(2) not in trace_ids
        assert root_of(forced) == ROOT.format(3)


def test_otel_asgi_instrumentation_keeps_the_shape_of_1_6_2() -> None:
    with Receiver() as daemon:
        env = daemon_env(daemon.port, OTEL_ASGI="1", FASTAPI_TRACING="0")
        with serve(uvicorn("recorder_fastapi:app"), env) as url:
            response = httpx.get(url + "/ok", headers={"User-Agent": "pytest-agent"})
            shaped = httpx.post(url + "/shape")
            shape = wait_for_trace(daemon, root_of(shaped), 5, until=lambda e: len(e) == 5)
            daemon.wait_quiet(0.3, 5)
            entities = wait_for_trace(daemon, root_of(response), 1)
            shape = wait_for_trace(daemon, root_of(shaped), 5)
    # The instrumentation's SERVER span is the segment; its http send/receive spans
    # are not recorded under the 1.6.2 call sites.
    (segment,) = entities
    assert_shape_of_1_6_2(shape, "recorder-fastapi", "refresh")
    assert segment["name"] == "recorder-fastapi"
    assert segment["http"]["request"]["user_agent"] == "pytest-agent"
    assert segment["http"]["response"]["status"] == 200
