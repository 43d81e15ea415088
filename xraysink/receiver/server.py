"""A local stand-in for the X-Ray daemon: a UDP socket that keeps every datagram's outcome.

The socket is drained by its own thread, with a large kernel receive buffer: a burst of
datagrams sent from a busy Python process overflows the kernel buffer if reading them has
to wait for that process's other work.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from xraysink.receiver.record import Received

RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024
"""Kernel receive buffer asked for; Linux caps it at ``net.core.rmem_max`` unless root."""

_READ_BYTES = 64 * 1024
"""Read size per datagram, the X-Ray daemon's buffer; no UDP/IPv4 payload is larger."""

_MIN_RECEIVE_BUFFER_BYTES = 64 * 1024


def split_address(address: str) -> tuple[str, int]:
    """``"HOST:PORT"`` (or ``"[IPv6]:PORT"``) to ``(host, port)``; port 0 picks a free one.

    Raises ``ValueError`` for anything else.
    """
    host, sep, port = address.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdecimal() or int(port) > 65535:
        raise ValueError(f"address must be HOST:PORT, got {address!r}")
    return host, int(port)


def _join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _enlarge_receive_buffer(sock: socket.socket) -> None:
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        # Linux only, and only with CAP_NET_ADMIN: lifts the net.core.rmem_max cap.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, force, RECEIVE_BUFFER_BYTES)
            return
    size = RECEIVE_BUFFER_BYTES
    # Linux silently caps an oversized request; BSDs and macOS refuse it (ENOBUFS).
    while size >= _MIN_RECEIVE_BUFFER_BYTES:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            return
        except OSError:
            size //= 2


class Receiver:
    """Listen for X-Ray daemon datagrams on UDP ``address`` and keep every outcome.

    ``address`` is ``"HOST:PORT"``; port 0 binds a free port (read it from ``port``).
    ``jsonl``, when given, is a file path to which each parsed document (valid or not) is
    appended as one JSON line. The receiver is listening when the constructor returns;
    ``close()`` (or leaving a ``with`` block) stops it after reading what the kernel
    already holds. All accessors are thread-safe and return snapshots.
    """

    def __init__(self, address: str = "127.0.0.1:0", jsonl: str | None = None) -> None:
        host, port = split_address(address)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with contextlib.ExitStack() as stack:
            self._sock = stack.enter_context(socket.socket(family, socket.SOCK_DGRAM))
            _enlarge_receive_buffer(self._sock)
            self._sock.bind((host, port))
            self._sock.setblocking(False)
            # Writing to this pair wakes the draining thread out of select() to stop it.
            self._wake_reader, self._wake_writer = socket.socketpair()
            stack.enter_context(self._wake_reader)
            stack.enter_context(self._wake_writer)
            self._jsonl: TextIO | None = (
                stack.enter_context(open(jsonl, "a", encoding="utf-8")) if jsonl else None
            )
            self._resources = stack.pop_all()
        self._host = host
        self._port: int = self._sock.getsockname()[1]
        self._cond = threading.Condition()
        self._records: list[Received] = []
        self._count = 0
        self._last_arrival = -float("inf")
        self._closed = False
        self._thread = threading.Thread(
            target=self._drain, name=f"xraysink-receiver-{self._port}", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        """The bound address as ``"HOST:PORT"``, with the real port."""
        return _join_address(self._host, self._port)

    @property
    def host(self) -> str:
        """The bound host, as given."""
        return self._host

    @property
    def port(self) -> int:
        """The bound UDP port (the real one when port 0 was asked for)."""
        return self._port

    @property
    def receive_buffer(self) -> int:
        """The kernel receive buffer in bytes, as the kernel reports it."""
        return int(self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))

    @property
    def count(self) -> int:
        """Datagrams received since the start, whatever their outcome (``take_records``
        does not lower it)."""
        with self._cond:
            return self._count

    @property
    def records(self) -> list[Received]:
        """Every kept datagram outcome, in arrival order."""
        with self._cond:
            return list(self._records)

    @property
    def documents(self) -> list[dict[str, Any]]:
        """Every parsed document kept, valid or not, in arrival order (the objects
        themselves, not copies)."""
        with self._cond:
            return self._documents_locked()

    @property
    def errors(self) -> list[str]:
        """Why each kept datagram would be rejected: the parse error of a datagram that
        breaks the X-Ray daemon protocol, or each validation reason of a document."""
        with self._cond:
            return [error for record in self._records for error in record.errors]

    def take_records(self) -> list[Received]:
        """Remove and return every kept outcome, so a long-running caller keeps none."""
        with self._cond:
            taken, self._records = self._records, []
            return taken

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0
    ) -> bool:
        """Wait until ``predicate(documents)`` is true, up to ``timeout`` seconds.

        ``predicate`` gets the ``documents`` snapshot; it runs now and after each new
        datagram, in the calling thread. Returns whether it became true in time.
        """
        deadline = time.monotonic() + timeout
        evaluated_at = -1
        while True:
            with self._cond:
                while self._count == evaluated_at:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                evaluated_at = self._count
                documents = self._documents_locked()
            if predicate(documents):
                return True

    def wait_for_count(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` (datagrams of any outcome) reaches ``n``, up to ``timeout``
        seconds. Returns whether it did."""
        with self._cond:
            return self._cond.wait_for(lambda: self._count >= n, timeout)

    def wait_quiet(self, quiet_s: float = 0.2, timeout: float = 5.0) -> bool:
        """Wait until no datagram has arrived for ``quiet_s`` seconds, counted from the
        later of this call and the last arrival; give up after ``timeout`` seconds.
        Returns whether the quiet period was seen."""
        called = time.monotonic()
        deadline = called + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                quiet_until = max(called, self._last_arrival) + quiet_s
                if now >= quiet_until:
                    return True
                if now >= deadline:
                    return False
                self._cond.wait(min(quiet_until, deadline) - now)

    def close(self) -> None:
        """Stop listening after reading the datagrams already queued; idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
        self._wake_writer.send(b"\0")
        self._thread.join()
        self._resources.close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "listening"
        return f"<Receiver {self.address} {state}, {self.count} datagrams>"

    def _documents_locked(self) -> list[dict[str, Any]]:
        return [record.document for record in self._records if record.document is not None]

    def _drain(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            stopping = False
            while not stopping:
                events = selector.select()
                stopping = any(key.fileobj is self._wake_reader for key, _ in events)
                self._read_all_queued()

    def _read_all_queued(self) -> None:
        while True:
            try:
                data, sender = self._sock.recvfrom(_READ_BYTES)
            except BlockingIOError:
                return
            arrived = time.monotonic()
            record = Received.from_datagram(
                data,
                seq=self._count,
                sender=_join_address(sender[0], sender[1]),
                received_at=time.time(),
            )
            if self._jsonl is not None and record.document is not None:
                self._jsonl.write(json.dumps(record.document, separators=(",", ":")) + "\n")
                self._jsonl.flush()
            with self._cond:
                self._records.append(record)
                self._count += 1
                self._last_arrival = arrived
                self._cond.notify_all()
