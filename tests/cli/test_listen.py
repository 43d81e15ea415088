"""``xraysink listen`` as a real process: real datagrams in, trace trees out."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator

import pytest

from tests.cli.listener import Listener
from tests.documents import HEADER, TRACE_ID, datagram, entity
from xraysink.cli import main

T = TRACE_ID


@pytest.fixture
def listener() -> Iterator[Listener]:
    started = Listener("--settle", "0.2")
    yield started
    started.kill()


def test_listen_prints_each_trace_as_a_tree_and_stops_on_sigint(listener: Listener) -> None:
    root = entity(
        "frontend",
        "a",
        0.0,
        0.1,
        trace_id=T,
        http={
            "request": {"method": "GET", "url": "http://localhost/"},
            "response": {"status": 200},
        },
        subsegments=[entity("db", "b", 0.01, 0.03, namespace="remote")],
    )
    late = entity("cache", "c", 0.04, 0.05, type="subsegment", trace_id=T, parent_id="a" * 16)
    listener.send(datagram(root), datagram(late))
    assert listener.lines_until(f"trace {T}") == [f"trace {T} (3 entities)"]
    assert [listener.next_line() for _ in range(3)] == [
        "  frontend  100.000 ms  GET http://localhost/ 200",
        "    db  20.000 ms",
        "    cache  10.000 ms",
    ]

    _, rest, _ = listener.stop(signal.SIGINT)
    assert rest == ["stopped: 2 datagrams received, 0 rejected"]


def test_listen_reports_rejected_datagrams_and_stops_on_sigterm(listener: Listener) -> None:
    bad = entity("bad!", "d", 0.0, 0.1, trace_id=T)
    listener.send(b"not a datagram", HEADER + b'{"start_time": NaN}', datagram(bad))
    lines = [listener.next_line() for _ in range(4)]
    assert lines[0].startswith("invalid datagram #0 from 127.0.0.1:")
    assert lines[0].endswith(
        "missing header: no newline after the header line, got b'not a datagram'"
    )
    assert lines[1].endswith("not JSON: NaN is not valid JSON")
    assert lines[2].startswith("invalid document #2 from 127.0.0.1:")
    assert lines[2].endswith("(name 'bad!', id 'dddddddddddddddd'):")
    assert lines[3].startswith("  name: characters not allowed: '!'")

    _, rest, _ = listener.stop(signal.SIGTERM)
    assert rest == ["stopped: 3 datagrams received, 3 rejected"]


def test_a_trace_not_yet_settled_is_printed_on_stop() -> None:
    listener = Listener("--settle", "600")
    listener.send(datagram(entity("slow", "a", 0.0, 0.002, trace_id=T)))
    # The datagram is in the listener's socket once sendto returns (loopback).
    _, rest, _ = listener.stop(signal.SIGINT)
    assert rest == [
        f"trace {T} (1 entity)",
        "  slow  2.000 ms",
        "stopped: 1 datagram received, 0 rejected",
    ]


def test_an_address_in_use_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert main(["listen", "--address", f"127.0.0.1:{port}"]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args", [["listen", "--address", "nowhere"], ["listen", "--settle", "-1"], ["bogus"], []]
)
def test_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert "usage: xraysink" in capsys.readouterr().err
