"""The viewer beside ``xraysink listen``: ``--ui`` serves it live, ``--html`` writes it to a file.

The listener imports this module only when one of them is asked for, and then hands the
viewer each batch of received datagrams; without them it loads and does nothing here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from xraysink.receiver.record import Received
from xraysink.viewer.page import WRITE_EVERY_S, PeriodicWriter
from xraysink.viewer.server import ViewerServer
from xraysink.viewer.store import TraceStore


class ListenViewer:
    """A ``TraceStore`` fed by the listener, served at ``ui_address`` (``"HOST:PORT"``)
    when given and written to ``html`` when given (at once, every ``WRITE_EVERY_S``
    seconds while traces arrive, and on ``close()``). ``say`` prints a status line.
    Raises ``OSError`` when the address cannot be bound or the file cannot be written,
    ``ValueError`` for a malformed address or ``max_traces`` below 1."""

    def __init__(
        self, ui_address: str | None, html: str | None, max_traces: int, say: Callable[[str], None]
    ) -> None:
        self.store = TraceStore(max_traces)
        self._say = say
        self._html = html
        self._server: ViewerServer | None = None
        self._writer: PeriodicWriter | None = None
        if html is not None:
            self._writer = PeriodicWriter(html, self.store, on_error=say)
            say(f"viewer file {html} (rewritten every {WRITE_EVERY_S:g} s and on stop)")
        if ui_address is not None:
            try:
                self._server = ViewerServer(self.store, ui_address)
            except BaseException:
                self.close()
                raise
            say(f"viewer on {self._server.url}")

    def add(self, records: Iterable[Received]) -> None:
        """Hand over a batch of datagram outcomes, in arrival order."""
        self.store.add(records)

    def close(self) -> None:
        """Stop serving; write the file a last time."""
        if self._server is not None:
            self._server.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._say(f"viewer written to {self._html}")


def open_viewer(
    ui_address: str | None, html: str | None, max_traces: int, say: Callable[[str], None]
) -> ListenViewer | None:
    """``ListenViewer(...)``, or ``None`` after printing why to stderr when it cannot start."""
    try:
        return ListenViewer(ui_address, html, max_traces, say)
    except (OSError, ValueError) as exc:
        print(f"xraysink listen: cannot start the viewer: {exc}", file=sys.stderr)
        return None
