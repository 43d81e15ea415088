"""The viewer's HTTP server and its store, through real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.documents import datagram
from tests.viewer import traces
from tests.viewer.conftest import ViewerListener
from xraysink.receiver.record import Received
from xraysink.viewer.page import embed_json
from xraysink.viewer.server import PAGE_POLICY, ViewerServer
from xraysink.viewer.store import TraceStore


def received(seq: int, payload: bytes) -> Received:
    return Received.from_datagram(payload, seq=seq, sender="127.0.0.1:1", received_at=0.0)


@pytest.fixture
def served() -> Iterator[tuple[TraceStore, ViewerServer]]:
    store = TraceStore(max_traces=2, max_rejected=2)
    server = ViewerServer(store, "127.0.0.1:0")
    yield store, server
    server.close()


def get(server: ViewerServer, path: str, host: str | None = None) -> http.client.HTTPResponse:
    address = server.url.removeprefix("http://").rstrip("/")
    connection = http.client.HTTPConnection(address, timeout=5)
    connection.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    return connection.getresponse()


def test_json_and_page_are_served_with_their_types_and_policy(
    served: tuple[TraceStore, ViewerServer],
) -> None:
    store, server = served
    docs = traces.inventory_trace()
    store.add(received(n, datagram(doc)) for n, doc in enumerate(docs))
    response = get(server, "/api/trace/" + docs[0]["trace_id"])
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    body = json.loads(response.read())
    assert [row["name"] for row in body["rows"]][:3] == [
        "inventory",
        "fastapi.dependencies",
        "fastapi.endpoint",
    ]
    page = get(server, "/")
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"
    assert page.getheader("Content-Security-Policy") == PAGE_POLICY
    assert b'<script src="app.js"></script>' in page.read()
    assert get(server, "/api/trace/1-00000000-000000000000000000000000").status == 404
    assert get(server, "/etc/passwd").status == 404


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io:2001", ""])
def test_a_foreign_host_name_is_refused(served: tuple[TraceStore, ViewerServer], host: str) -> None:
    # A page on another site reaching this port through DNS rebinding names its own host.
    assert get(served[1], "/api/traces", host=host).status == 403


def test_only_reads_are_answered(served: tuple[TraceStore, ViewerServer]) -> None:
    address = served[1].url.removeprefix("http://").rstrip("/")
    connection = http.client.HTTPConnection(address, timeout=5)
    connection.request("POST", "/api/traces", body=b"{}")
    assert connection.getresponse().status == 501


def test_the_store_evicts_the_least_recently_extended_trace_and_counts_drops() -> None:
    store = TraceStore(max_traces=2, max_rejected=2)
    first, second, third = (traces.missing_trace()[0] for _ in range(3))
    late = traces.entity(
        "late", 0.0, 0.001, type="subsegment", trace_id=first["trace_id"], parent_id=first["id"]
    )
    payloads = [first, second, late, third]
    store.add(received(n, datagram(doc)) for n, doc in enumerate(payloads))
    store.add(received(9 + n, b"junk") for n in range(3))
    # The late subsegment kept the first trace; the second, least recently extended, went.
    assert {row["trace_id"] for row in store.summaries()} == {first["trace_id"], third["trace_id"]}
    stats = store.stats()
    assert (stats["traces"], stats["evicted_traces"], stats["evicted_documents"]) == (2, 1, 1)
    assert (stats["rejected"], stats["rejected_dropped"]) == (3, 1)
    assert [item["seq"] for item in store.rejected()] == [11, 10]


def test_embedded_json_cannot_close_its_script_element() -> None:
    text = embed_json({"name": "</script><script>alert(1)</script>", "line": "\u2028&"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "line": "\u2028&"}


def test_without_ui_the_listener_loads_no_viewer_code() -> None:
    # The listener stops itself after a moment; then the interpreter lists what it loaded.
    code = (
        "import os, signal, sys, threading\n"
        "from xraysink.cli import listen\n"
        "threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()\n"
        "listen('127.0.0.1:0')\n"
        "print(sorted(m for m in sys.modules if m.startswith('xraysink.viewer')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"


def test_a_taken_port_stops_the_listener_with_a_reason(listener: ViewerListener) -> None:
    port = listener.url.rsplit(":", 1)[1].rstrip("/")
    command = [sys.executable, "-m", "xraysink.cli", "listen", "--address", "127.0.0.1:0"]
    result = subprocess.run(
        [*command, "--ui", "--ui-address", f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "xraysink listen: cannot start the viewer:" in result.stderr
