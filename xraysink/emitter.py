"""Sending documents to the X-Ray daemon over UDP.

Datagram format (X-Ray daemon protocol): ``{"format":"json","version":1}`` + ``\\n``
+ one JSON document, at most 65,507 bytes in all (the UDP payload limit).
"""

from __future__ import annotations

import os
import socket
from typing import Protocol

PROTOCOL_HEADER = b'{"format":"json","version":1}\n'
MAX_DATAGRAM_BYTES = 65_507
#: Largest JSON document that fits one datagram behind the protocol header.
MAX_DOCUMENT_BYTES = MAX_DATAGRAM_BYTES - len(PROTOCOL_HEADER)
DEFAULT_DAEMON_ADDRESS = "127.0.0.1:2000"
DAEMON_ADDRESS_ENV = "AWS_XRAY_DAEMON_ADDRESS"


class Entity(Protocol):
    def serialize(self) -> str: ...


class Emitter(Protocol):
    """What the span processor sends through: aws_xray_sdk's ``UDPEmitter`` fits."""

    def send_entity(self, entity: Entity) -> None: ...


class Document:
    """One serialized document, in the shape ``Emitter.send_entity`` expects."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def serialize(self) -> str:
        return self._text


def parse_daemon_address(address: str) -> tuple[str, int]:
    """The UDP ``(host, port)`` of an X-Ray SDK daemon address.

    Accepts ``host:port`` and the two-address form ``udp:host:port tcp:host:port``
    (either order, space-separated), as the X-Ray SDKs' ``DaemonConfig`` does.
    Raises ``ValueError`` naming the address when it is malformed.
    """
    parts = address.split()
    udp: str | None = None
    if len(parts) == 1 and not parts[0].startswith(("udp:", "tcp:")):
        udp = parts[0]
    elif len(parts) == 2:
        for part in parts:
            scheme, _, rest = part.partition(":")
            if scheme == "udp":
                udp = rest
    host, sep, port = (udp or "").rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"invalid X-Ray daemon address {address!r}: expected 'host:port' or "
            "'udp:host:port tcp:host:port'"
        )
    return host, int(port)


def resolve_daemon_address(address: str | None) -> tuple[str, int]:
    """OpenTelemetry-style precedence: the explicit ``address``, else
    ``AWS_XRAY_DAEMON_ADDRESS``, else ``127.0.0.1:2000``; see ``parse_daemon_address``."""
    return parse_daemon_address(
        address or os.environ.get(DAEMON_ADDRESS_ENV) or DEFAULT_DAEMON_ADDRESS
    )


class UDPDaemonEmitter:
    """Non-blocking UDP emitter that resolves the daemon host once, at construction.

    ``send(document)`` takes the JSON document as bytes and raises ``OSError`` when
    the kernel refuses the datagram; the span processor counts that.
    ``send_entity`` is the aws_xray_sdk emitter interface.
    """

    def __init__(self, address: str | None = None) -> None:
        host, port = resolve_daemon_address(address)
        try:
            info = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
            self.address: tuple[str, int] = (str(info[0][4][0]), port)
        except OSError:
            # Resolved per send instead; the daemon's name may appear later (a sidecar).
            self.address = (host, port)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def send(self, document: bytes) -> None:
        self._socket.sendto(PROTOCOL_HEADER + document, self.address)

    def send_entity(self, entity: Entity) -> None:
        self.send(entity.serialize().encode())

    def close(self) -> None:
        self._socket.close()
