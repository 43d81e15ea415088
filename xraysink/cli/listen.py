"""``xraysink listen``: a local stand-in for the X-Ray daemon that prints what arrives."""

from __future__ import annotations

import contextlib
import errno
import signal
import sys
import threading
import time
from collections import OrderedDict
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from xraysink.receiver.report import render_problems
from xraysink.receiver.sampling import SamplingServer, load_sampling_rules
from xraysink.receiver.server import Receiver, split_address
from xraysink.receiver.tree import build_traces, render_trace

if TYPE_CHECKING:
    from xraysink.viewer.listen import ListenViewer

_POLL_S = 0.1
"""Longest wait between checks for a stop signal, in seconds."""

_KEEP_TRACES = 1000
"""Traces whose documents stay in memory so a late document redraws its whole trace."""


def listen(
    address: str,
    *,
    jsonl: str | None = None,
    settle: float = 0.5,
    out: TextIO | None = None,
    ui: str | None = None,
    html: str | None = None,
    ui_traces: int = 1000,
    sampling_rules: str | None = None,
) -> int:
    """Receive datagrams on UDP ``address`` and print what arrives until SIGINT/SIGTERM.

    Prints ``listening on HOST:PORT`` (the bound port) first; then each trace as a tree
    (``render_trace``) once no document for it arrived for ``settle`` seconds, again in
    full if more of it arrives later; and each rejected datagram (``render_problems``) as
    it arrives. On a stop signal it prints the traces not yet settled, then
    ``stopped: N datagrams received, M rejected``. ``jsonl`` is passed to ``Receiver``.
    With ``ui`` (``"HOST:PORT"``) or ``html`` (a file), ``xraysink.viewer`` also shows
    the last ``ui_traces`` traces. ``sampling_rules``: a rules file
    (``xraysink.receiver.sampling``) answered on TCP at the bound host and port.
    Must run in the main thread (signal handlers). Returns 0 once stopped, 1 when the
    address cannot be bound or the rules file is bad.
    """
    stream = out if out is not None else sys.stdout
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        rules = None
        if sampling_rules is not None:
            try:
                rules = load_sampling_rules(sampling_rules)
            except (OSError, ValueError) as exc:
                print(f"xraysink listen: --sampling-rules: {exc}", file=sys.stderr)
                return 1
        try:
            receiver, server = _bind(address, jsonl, rules)
        except OSError as exc:
            print(f"xraysink listen: cannot listen on {address}: {exc}", file=sys.stderr)
            return 1
        with receiver, server if server is not None else contextlib.nullcontext():
            _say(stream, f"listening on {receiver.address}")
            if server is not None:
                _say(stream, f"sampling rules on {server.endpoint}")
            viewer = None
            if ui or html:
                # Imported on use: without --ui/--html the listener loads no viewer code.
                from xraysink.viewer.listen import open_viewer

                viewer = open_viewer(ui, html, ui_traces, lambda text: _say(stream, text))
                if viewer is None:
                    return 1
            try:
                _Listener(receiver, settle, stream, viewer).run(stop)
            finally:
                if viewer is not None:
                    viewer.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _bind(
    address: str, jsonl: str | None, rules: list[dict[str, Any]] | None
) -> tuple[Receiver, SamplingServer | None]:
    """The receiver on UDP ``address`` and, with ``rules``, the sampling API on TCP at
    the same port, as the X-Ray daemon serves both. For port 0 the free UDP port's
    number may be taken in TCP: a few ports are tried. Raises ``OSError``."""
    tries = 5 if rules is not None and split_address(address)[1] == 0 else 1
    while True:
        tries -= 1
        receiver = Receiver(address, jsonl)
        if rules is None:
            return receiver, None
        try:
            return receiver, SamplingServer(rules, receiver.host, receiver.port)
        except OSError as exc:
            receiver.close()
            if exc.errno != errno.EADDRINUSE or tries <= 0:
                raise


def _say(stream: TextIO, text: str) -> None:
    print(text, file=stream, flush=True)


class _Listener:
    """Turns a stream of received datagrams into settled trace trees and problem reports."""

    def __init__(
        self, receiver: Receiver, settle: float, stream: TextIO, viewer: ListenViewer | None = None
    ) -> None:
        self._receiver = receiver
        self._viewer = viewer
        self._settle = settle
        self._stream = stream
        # trace_id -> documents, least recently extended first.
        self._documents: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        # trace_id -> monotonic time of its last document, for traces not printed since.
        self._unsettled: dict[str, float] = {}
        self._rejected = 0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._receiver.wait_for_count(self._receiver.count + 1, self._next_wait())
            self._collect()
            self._print_settled(time.monotonic() - self._settle)
        # Closing first reads what the kernel already holds, so nothing sent before the
        # signal goes unprinted.
        self._receiver.close()
        self._collect()
        self._print_settled(float("inf"))
        received = self._receiver.count
        noun = "datagram" if received == 1 else "datagrams"
        _say(self._stream, f"stopped: {received} {noun} received, {self._rejected} rejected")

    def _next_wait(self) -> float:
        if not self._unsettled:
            return _POLL_S
        due = min(self._unsettled.values()) + self._settle
        return max(0.0, min(_POLL_S, due - time.monotonic()))

    def _collect(self) -> None:
        now = time.monotonic()
        records = self._receiver.take_records()
        if self._viewer is not None:
            self._viewer.add(records)
        for record in records:
            if record.document is None or record.problems:
                self._rejected += 1
                _say(self._stream, render_problems(record))
                continue
            trace_id = str(record.document["trace_id"])
            self._documents.setdefault(trace_id, []).append(record.document)
            self._documents.move_to_end(trace_id)
            self._unsettled[trace_id] = now
        while len(self._documents) > _KEEP_TRACES:
            oldest = next(iter(self._documents))
            if oldest in self._unsettled:
                break
            del self._documents[oldest]

    def _print_settled(self, last_arrival_before: float) -> None:
        settled = [t for t, last in self._unsettled.items() if last <= last_arrival_before]
        for trace_id in settled:
            del self._unsettled[trace_id]
            trace = build_traces(self._documents[trace_id])[trace_id]
            _say(self._stream, render_trace(trace))
