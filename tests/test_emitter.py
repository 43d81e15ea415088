"""Daemon addresses and the UDP emitter, against a real UDP socket."""

from __future__ import annotations

import socket

import pytest

from xraysink.emitter import (
    PROTOCOL_HEADER,
    Document,
    UDPDaemonEmitter,
    parse_daemon_address,
    resolve_daemon_address,
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:2000", ("127.0.0.1", 2000)),
        ("xray-daemon:2001", ("xray-daemon", 2001)),
        ("udp:127.0.0.1:2002 tcp:127.0.0.1:2000", ("127.0.0.1", 2002)),
        ("tcp:127.0.0.1:2000 udp:10.0.0.1:2003", ("10.0.0.1", 2003)),
    ],
)
def test_daemon_address_formats(address: str, expected: tuple[str, int]) -> None:
    assert parse_daemon_address(address) == expected


@pytest.mark.parametrize(
    "address", ["", "127.0.0.1", "host:port", ":2000", "127.0.0.1:70000", "udp:127.0.0.1:2000"]
)
def test_malformed_daemon_address_is_a_clear_error(address: str) -> None:
    with pytest.raises(ValueError, match="invalid X-Ray daemon address"):
        parse_daemon_address(address)


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
