"""Daemon addresses and the UDP emitter, against a real UDP socket."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import time
from collections.abc import Iterator

import pytest

from xraysink.emitters.base import DaemonUnresolved, Document
from xraysink.emitters.protocol import MAX_DATAGRAM_BYTES, MAX_DOCUMENT_BYTES, PROTOCOL_HEADER
from xraysink.emitters.udp import (
    UDPDaemonEmitter,
    parse_daemon_address,
    resolve_daemon_address,
)


@pytest.fixture
def sink() -> Iterator[socket.socket]:
    """A bare UDP socket on a free port of 127.0.0.1, read by the test itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        yield sock


def drain(sock: socket.socket) -> list[bytes]:
    """Every datagram queued on ``sock`` now (waits up to 5 s for the first)."""
    datagrams = [sock.recv(65535)]
    sock.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while True:
            datagrams.append(sock.recv(65535))
    sock.settimeout(5)
    return datagrams


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:2000", ("127.0.0.1", 2000)),
        ("xray-daemon:2001", ("xray-daemon", 2001)),
        ("udp:127.0.0.1:2002 tcp:127.0.0.1:2000", ("127.0.0.1", 2002)),
        ("tcp:127.0.0.1:2000 udp:10.0.0.1:2003", ("10.0.0.1", 2003)),
        ("  127.0.0.1:2004\n", ("127.0.0.1", 2004)),
        ("udp:xray.internal:2005\ttcp:xray.internal:2005", ("xray.internal", 2005)),
        ("localhost:65535", ("localhost", 65535)),
    ],
)
def test_daemon_address_formats(address: str, expected: tuple[str, int]) -> None:
    assert parse_daemon_address(address) == expected


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "127.0.0.1",
        "host:port",
        ":2000",
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:70000",
        "127.0.0.1:-1",
        "127.0.0.1:2000x",
        "127.0.0.1:\u0662\u0660",
        "udp:127.0.0.1:2000",
        "tcp:127.0.0.1:2000",
        "udp:127.0.0.1:2000 udp:127.0.0.1:2001",
        "tcp:127.0.0.1:2000 tcp:127.0.0.1:2001",
        "udp:127.0.0.1:2000 tcp:127.0.0.1:bad",
        "udp:127.0.0.1:2000 tcp:127.0.0.1:2000 udp:127.0.0.1:2001",
        "127.0.0.1:2000 127.0.0.1:2001",
        "a:b:2000",
        "[::1]:2000",
        "http://127.0.0.1:2000",
    ],
)
def test_malformed_daemon_address_is_a_clear_error(address: str) -> None:
    with pytest.raises(ValueError, match="invalid X-Ray daemon address"):
        parse_daemon_address(address)


@pytest.mark.parametrize("address", [2000, b"127.0.0.1:2000", ("127.0.0.1", 2000)])
def test_a_daemon_address_that_is_no_string_is_a_clear_error(address: object) -> None:
    with pytest.raises(ValueError, match="invalid X-Ray daemon address"):
        parse_daemon_address(address)  # type: ignore[arg-type]


def test_malformed_address_fails_at_configuration_time(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"'127\.0\.0\.1:two'"):
        UDPDaemonEmitter("127.0.0.1:two")
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "udp:127.0.0.1:2000")
    with pytest.raises(ValueError, match="invalid X-Ray daemon address"):
        UDPDaemonEmitter()


def test_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:3000")
    assert resolve_daemon_address("127.0.0.1:4000") == ("127.0.0.1", 4000)
    assert resolve_daemon_address(None) == ("127.0.0.1", 3000)
    monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS")
    assert resolve_daemon_address(None) == ("127.0.0.1", 2000)


def test_emitter_sends_protocol_datagrams() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(5)
        emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.getsockname()[1]}")
        emitter.send(b'{"a":1}')
        emitter.send_entity(Document('{"b":2}'))
        assert sink.recv(65535) == PROTOCOL_HEADER + b'{"a":1}'
        assert sink.recv(65535) == PROTOCOL_HEADER + b'{"b":2}'
        emitter.close()


def test_an_unresolvable_host_never_waits_on_send_and_retries_in_the_background() -> None:
    emitter = UDPDaemonEmitter("no-such-host.invalid:2000")
    assert emitter.address is None
    for _ in range(1000):
        with pytest.raises(DaemonUnresolved):
            emitter.send(b"{}")
    emitter.close()


def test_a_host_name_resolved_in_the_background_starts_sending(sink: socket.socket) -> None:
    emitter = UDPDaemonEmitter(f"localhost:{sink.getsockname()[1]}", resolve_in_background=True)
    deadline = time.monotonic() + 5
    while emitter.address is None and time.monotonic() < deadline:
        with contextlib.suppress(DaemonUnresolved):
            emitter.send(b'{"early":1}')
        time.sleep(0.01)
    assert emitter.address == ("127.0.0.1", sink.getsockname()[1])
    emitter.send(b'{"late":1}')
    assert PROTOCOL_HEADER + b'{"late":1}' in drain(sink)
    emitter.close()


def test_a_socket_closed_under_the_emitter_is_reopened(sink: socket.socket) -> None:
    emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.getsockname()[1]}")
    # What a library that closes "all file descriptors" (or a double close) does.
    os.close(emitter._socket.fileno())
    emitter.send(b'{"after":"reopen"}')
    assert drain(sink) == [PROTOCOL_HEADER + b'{"after":"reopen"}']
    emitter.close()
    with pytest.raises(OSError) as raised:
        emitter.send(b"{}")
    assert raised.value.errno == errno.EBADF


def test_a_datagram_over_the_udp_limit_is_refused_by_the_kernel(sink: socket.socket) -> None:
    emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.getsockname()[1]}")
    with pytest.raises(OSError) as raised:
        emitter.send(b"x" * MAX_DATAGRAM_BYTES)
    assert raised.value.errno == errno.EMSGSIZE
    emitter.send(b"x" * MAX_DOCUMENT_BYTES)
    assert [len(datagram) for datagram in drain(sink)] == [MAX_DATAGRAM_BYTES]
    emitter.close()


def test_a_forked_child_sends_from_its_own_socket(sink: socket.socket) -> None:
    emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.getsockname()[1]}")
    emitter.send(b'{"from":"parent"}')
    pid = os.fork()
    if pid == 0:
        try:
            emitter.send(b'{"from":"child"}')
        finally:
            os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    emitter.send(b'{"from":"parent again"}')
    senders: dict[bytes, int] = {}
    for _ in range(3):
        data, (_, port) = sink.recvfrom(65535)
        senders[data[len(PROTOCOL_HEADER) :]] = port
    assert senders[b'{"from":"parent"}'] == senders[b'{"from":"parent again"}']
    assert senders[b'{"from":"child"}'] != senders[b'{"from":"parent"}']
    emitter.close()
