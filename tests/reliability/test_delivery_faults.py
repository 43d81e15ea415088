"""Faults in the delivery path under a real uvicorn server (issue 4 §1).

Whatever happens to the daemon, every request answers 200 in the same latency class,
the span processor keeps working, and documents that could be delivered arrive once.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.xray import root_of, wait_for_trace
from tests.servers import daemon_env, serve, uvicorn
from xraysink.receiver.server import Receiver

APP = "tests.reliability.app:app"
ENTITIES_PER_REQUEST = 4  # the request's segment and its three child spans


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def requests(client: httpx.Client, count: int) -> tuple[list[str], float]:
    """Send ``count`` requests; every one must answer 200. Returns their trace ids
    and the median latency in seconds."""
    trace_ids: list[str] = []
    latencies: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get("/work")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
        trace_ids.append(root_of(response))
    assert max(latencies) < 1.0, "a request waited on the network"
    return trace_ids, statistics.median(latencies)


def stats(client: httpx.Client) -> dict[str, Any]:
    return dict(client.get("/stats").json())


def arrived_once(receiver: Receiver, trace_ids: list[str]) -> None:
    for trace_id in trace_ids:
        entities = wait_for_trace(receiver, trace_id, ENTITIES_PER_REQUEST)
        assert len({entity["id"] for entity in entities}) == len(entities)


@pytest.fixture(scope="module")
def daemon_port() -> int:
    return free_udp_port()


@pytest.fixture(scope="module")
def client(daemon_port: int) -> Iterator[httpx.Client]:
    with serve(uvicorn(APP), daemon_env(daemon_port)) as url, httpx.Client(base_url=url) as http:
        yield http


def test_daemon_down_restarted_and_too_slow(client: httpx.Client, daemon_port: int) -> None:
    medians: dict[str, float] = {}
    # No daemon listening: datagrams go nowhere, requests do not notice.
    _, medians["no daemon"] = requests(client, 40)
    # The daemon starts: everything from now on arrives.
    with Receiver(f"127.0.0.1:{daemon_port}") as first:
        sent, medians["daemon up"] = requests(client, 40)
        arrived_once(first, sent)
    # Down again (restarting), then back on the same port.
    _, medians["daemon restarting"] = requests(client, 40)
    with Receiver(f"127.0.0.1:{daemon_port}") as second:
        sent, _ = requests(client, 20)
        arrived_once(second, sent)
    # A receiver that does not read: its 4 KiB kernel buffer overflows at once.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.bind(("127.0.0.1", daemon_port))
        _, medians["receiver too slow"] = requests(client, 40)
    with Receiver(f"127.0.0.1:{daemon_port}") as third:
        sent, _ = requests(client, 20)
        arrived_once(third, sent)
    counters = stats(client)["stats"]
    # UDP loss happens in the kernel, after sendto succeeded: nothing failed on our side.
    assert counters.get("dropped", 0) == 0
    assert counters["documents"] == 200
    print({phase: f"{median * 1000:.2f} ms" for phase, median in medians.items()})
    healthy = medians["daemon up"]
    for phase, median in medians.items():
        assert median < 3 * healthy + 0.01, (phase, medians)


def test_unresolvable_daemon_host_is_counted_never_waited_on() -> None:
    env = {"AWS_XRAY_DAEMON_ADDRESS": "no-such-host.invalid:2000"}
    with serve(uvicorn(APP), env) as url, httpx.Client(base_url=url) as http:
        requests(http, 40)
        counters = stats(http)["stats"]
    assert counters["dropped_daemon_unresolved"] == 40
    assert counters["dropped"] == 40
    assert counters["spans"] >= 40 * ENTITIES_PER_REQUEST
