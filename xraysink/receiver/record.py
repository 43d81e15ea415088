"""The outcome of one received datagram: its document and why X-Ray would reject it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xraysink.receiver.protocol import DatagramError, parse_datagram
from xraysink.receiver.validate import shown, validate_document


@dataclass(frozen=True)
class Received:
    """One datagram as the receiver read it.

    ``seq`` is its 0-based arrival index; ``received_at`` the epoch seconds when it was
    read; ``sender`` the ``"host:port"`` it came from; ``size`` its length in bytes.
    Exactly one of these holds: ``parse_error`` is set (no document: the X-Ray daemon
    protocol was not followed), or ``document`` is set with ``problems`` listing why
    X-Ray would reject it (empty when it is accepted).
    """

    seq: int
    received_at: float
    sender: str
    size: int
    document: dict[str, Any] | None
    problems: tuple[str, ...]
    parse_error: DatagramError | None

    @property
    def valid(self) -> bool:
        """True when the datagram parsed and X-Ray would accept its document."""
        return self.document is not None and not self.problems

    @property
    def label(self) -> str:
        """Short description for messages: ``#seq``, sender, and the document's name/id."""
        where = f"#{self.seq} from {self.sender}"
        if self.document is None:
            return f"{where} ({self.size:,} bytes)"
        name = self.document.get("name")
        ident = self.document.get("id")
        return f"{where} (name {shown(name)}, id {shown(ident)})"

    @property
    def errors(self) -> list[str]:
        """One ``"<label>: <reason>"`` line per reason X-Ray would reject this datagram."""
        if self.parse_error is not None:
            return [f"datagram {self.label}: {self.parse_error}"]
        return [f"document {self.label}: {problem}" for problem in self.problems]

    @classmethod
    def from_datagram(cls, data: bytes, *, seq: int, sender: str, received_at: float) -> Received:
        """Parse ``data`` (X-Ray daemon protocol) and validate its document (X-Ray segment
        document spec); never raises for bad input, which is recorded instead."""
        try:
            document = parse_datagram(data)
        except DatagramError as exc:
            return cls(seq, received_at, sender, len(data), None, (), exc)
        problems = tuple(validate_document(document))
        return cls(seq, received_at, sender, len(data), document, problems, None)
