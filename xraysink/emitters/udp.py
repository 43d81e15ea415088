"""Sending documents to the X-Ray daemon over UDP (``emitters.protocol``'s format).

Nothing here waits on the network on the send path: the socket is non-blocking, and
the daemon's host name is resolved at construction (configuration time) or, when
that fails or is asked for, in a background thread, never in ``send``.
"""

from __future__ import annotations

import errno
import socket
import threading
import time

from xraysink import environment
from xraysink._fork import renew_after_fork
from xraysink.emitters.base import DaemonUnresolved, DatagramEmitter
from xraysink.emitters.protocol import PROTOCOL_HEADER

DEFAULT_DAEMON_ADDRESS = "127.0.0.1:2000"
DAEMON_ADDRESS_ENV = environment.AWS_XRAY_DAEMON_ADDRESS
#: Seconds between two background attempts to resolve a daemon host name that failed.
RESOLVE_RETRY_SECONDS = 5.0

#: The errno of a refused ``sendto`` -> the kind of drop the span processor counts.
SEND_ERRORS = {
    errno.EMSGSIZE: "datagram_too_large",
    errno.EAGAIN: "send_buffer_full",
    errno.ENOBUFS: "send_buffer_full",
    errno.EBADF: "socket_closed",
    errno.ENOTSOCK: "socket_closed",
    errno.ECONNREFUSED: "daemon_unreachable",
    errno.ENETUNREACH: "daemon_unreachable",
    errno.EHOSTUNREACH: "daemon_unreachable",
}
_MALFORMED = "expected 'host:port' or 'udp:host:port tcp:host:port'"


def parse_daemon_addresses(address: str) -> tuple[tuple[str, int], tuple[str, int]]:
    """The UDP and the TCP ``(host, port)`` of an X-Ray SDK daemon address.

    Accepts ``host:port`` (both the same) and the two-address form
    ``udp:host:port tcp:host:port`` (either order, whitespace-separated, one of each),
    as the X-Ray SDKs' ``DaemonConfig`` does. ``host`` is an IPv4 address or a host
    name. Raises ``ValueError`` naming the address when it is malformed.
    """
    if not isinstance(address, str):
        raise ValueError(f"invalid X-Ray daemon address {address!r}: {_MALFORMED}")
    parts = address.split()
    if len(parts) == 1 and not parts[0].startswith(("udp:", "tcp:")):
        both = _host_port(parts[0], address)
        return both, both
    if len(parts) == 2:
        forms = dict(part.partition(":")[::2] for part in parts)
        if set(forms) == {"udp", "tcp"}:
            return _host_port(forms["udp"], address), _host_port(forms["tcp"], address)
    raise ValueError(f"invalid X-Ray daemon address {address!r}: {_MALFORMED}")


def parse_daemon_address(address: str) -> tuple[str, int]:
    """The UDP ``(host, port)`` of an X-Ray SDK daemon address (the datagrams' target);
    see ``parse_daemon_addresses``."""
    return parse_daemon_addresses(address)[0]


def _host_port(text: str, address: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if (
        not sep
        or not host
        or ":" in host
        or not port.isdigit()
        or not port.isascii()
        or not 0 < int(port) < 65536
    ):
        raise ValueError(f"invalid X-Ray daemon address {address!r}: {_MALFORMED}")
    return host, int(port)


def resolve_daemon_addresses(address: str | None) -> tuple[tuple[str, int], tuple[str, int]]:
    """OpenTelemetry-style precedence: the explicit ``address``, else
    ``AWS_XRAY_DAEMON_ADDRESS``, else ``127.0.0.1:2000``; see ``parse_daemon_addresses``."""
    return parse_daemon_addresses(
        address or environment.get(DAEMON_ADDRESS_ENV) or DEFAULT_DAEMON_ADDRESS
    )


def resolve_daemon_address(address: str | None) -> tuple[str, int]:
    """The UDP part of ``resolve_daemon_addresses(address)``."""
    return resolve_daemon_addresses(address)[0]


def _lookup(host: str, port: int, flags: int = 0) -> tuple[str, int]:
    info = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM, 0, flags)
    return str(info[0][4][0]), port


class UDPDaemonEmitter(DatagramEmitter):
    """Non-blocking UDP emitter for one daemon address (see ``resolve_daemon_address``).

    The host name is resolved once: an IPv4 literal needs no lookup; a name is looked
    up at construction, or in a background thread with ``resolve_in_background=True``.
    Until a name resolves, ``send`` raises ``DaemonUnresolved`` and a background retry
    runs at most every ``RESOLVE_RETRY_SECONDS``. A socket found closed under the
    emitter (``EBADF``) is reopened once per send; after ``close()`` it stays closed.
    A forked child gets its own socket. Raises ``ValueError`` for a malformed address.
    """

    def __init__(self, address: str | None = None, *, resolve_in_background: bool = False) -> None:
        self.host, self.port = resolve_daemon_address(address)
        #: The daemon's resolved ``(ip, port)``; None until the host name resolves.
        self.address: tuple[str, int] | None = None
        self._closed = False
        self._resolving = False
        self._next_resolve = 0.0
        try:
            self.address = _lookup(self.host, self.port, socket.AI_NUMERICHOST)
        except OSError:
            if resolve_in_background:
                self._resolve_later()
            else:
                self._resolve()
        self._socket = self._open()
        renew_after_fork(self)

    def send(self, document: bytes) -> None:
        address = self.address
        if address is None:
            self._resolve_later()
            raise DaemonUnresolved(f"X-Ray daemon host {self.host!r} has no address")
        try:
            self._socket.sendto(PROTOCOL_HEADER + document, address)
        except OSError as error:
            if self._closed or error.errno not in (errno.EBADF, errno.ENOTSOCK):
                raise
            # EBADF: the descriptor went away under us (closed elsewhere); start afresh.
            self._socket.detach()
            self._socket = self._open()
            self._socket.sendto(PROTOCOL_HEADER + document, address)

    def close(self) -> None:
        self._closed = True
        self._socket.close()

    def shutdown(self) -> None:
        self.close()

    def _open(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        return sock

    def _resolve(self) -> None:
        try:
            self.address = _lookup(self.host, self.port)
        except OSError:
            self._next_resolve = time.monotonic() + RESOLVE_RETRY_SECONDS
        finally:
            self._resolving = False

    def _resolve_later(self) -> None:
        if self._resolving or time.monotonic() < self._next_resolve:
            return
        self._resolving = True
        threading.Thread(target=self._resolve, name="xraysink-resolve", daemon=True).start()

    def _after_fork_in_child(self) -> None:
        if not self._closed:
            self._socket.close()
            self._socket = self._open()
        # A lookup thread of the parent does not exist in the child.
        self._resolving = False
        self._next_resolve = 0.0
