"""What the span processor sends through, and its lifecycle.

The span processor decides *when* a document goes (OpenTelemetry's ``SpanProcessor``);
an emitter decides *where*. ``send``/``send_entity`` are called synchronously on the
thread that ended the span: they must not block on the network and must not raise
except for the ``OSError`` of a refused send, which the processor counts.
``force_flush(timeout_millis)`` and ``shutdown()`` follow OpenTelemetry's
``SpanExporter``: both return within the timeout and never raise.
"""

from __future__ import annotations

from typing import Protocol


class Serializable(Protocol):
    """What ``Emitter.send_entity`` takes: aws_xray_sdk's entities, or a ``Document``."""

    def serialize(self) -> str: ...


class Emitter(Protocol):
    """The least an emitter has: aws_xray_sdk's ``UDPEmitter`` fits."""

    def send_entity(self, entity: Serializable) -> None: ...


class DaemonUnresolved(OSError):
    """The daemon's host name has no address (yet); the document was not sent."""


class DatagramEmitter:
    """Base of xraysink's emitters: the span processor calls ``send(document)`` with
    one encoded JSON document (at most 64 KiB, no protocol header) and skips the
    ``send_entity`` round trip. ``send`` raises ``OSError`` (or ``DaemonUnresolved``)
    for a refused document."""

    def send(self, document: bytes) -> None:
        raise NotImplementedError

    def send_entity(self, entity: Serializable) -> None:
        self.send(entity.serialize().encode())

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send what is queued within ``timeout_millis``; True when nothing is left."""
        return True

    def shutdown(self) -> None:
        """Flush, then release sockets and threads; sends after this are dropped."""


class Document:
    """One serialized document, in the shape ``Emitter.send_entity`` expects."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def serialize(self) -> str:
        return self._text
