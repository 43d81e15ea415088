"""The X-Ray daemon's UDP datagram format, parsed the way the daemon parses it.

A datagram is a header line, ``{"format":"json","version":1}``, a newline, then one JSON
document (a segment or an independent subsegment). Facts taken from the X-Ray daemon
(``aws/aws-xray-daemon``: ``cmd/tracing/daemon.go``, ``pkg/tracesegment``):

- the datagram is split at its first ``\\n``; nothing after it means "missing header or
  segment" and the datagram is rejected;
- the header is decoded as JSON; it is valid when ``format`` equals ``json`` ignoring case
  and ``version`` is the integer ``1``; key names match ignoring case (Go's ``encoding/json``)
  and other keys are ignored;
- the daemon reads into a 64 KiB buffer, and a UDP/IPv4 payload is at most 65,507 bytes.

The daemon forwards the body to the X-Ray service unparsed; this module goes one step
further and decodes it as strict JSON, since the service rejects anything else.
"""

from __future__ import annotations

import json
from typing import Any

from xraysink.emitters.protocol import MAX_DATAGRAM_BYTES, PROTOCOL_HEADER

HEADER = PROTOCOL_HEADER.rstrip(b"\n")
"""The header every X-Ray SDK sends, without its trailing newline."""

TOO_LARGE = "datagram too large"
MISSING_HEADER = "missing header"
MISSING_DOCUMENT = "missing document"
BAD_HEADER = "bad header"
NOT_UTF8 = "not UTF-8"
NOT_JSON = "not JSON"
NOT_OBJECT = "not a JSON object"

_PREVIEW_CHARS = 80


class DatagramError(ValueError):
    """A datagram the X-Ray daemon or service would reject.

    ``reason`` is one of this module's reason constants (``TOO_LARGE``, ``MISSING_HEADER``,
    ``MISSING_DOCUMENT``, ``BAD_HEADER``, ``NOT_UTF8``, ``NOT_JSON``, ``NOT_OBJECT``);
    ``detail`` says what was found. ``str(error)`` is ``"<reason>: <detail>"``.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity/-Infinity by default; JSON (RFC 8259) and the
    # X-Ray service do not.
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(text: str | bytes) -> Any:
    """Decode RFC 8259 JSON, rejecting ``NaN``, ``Infinity`` and ``-Infinity``.

    Raises ``ValueError`` (``json.JSONDecodeError`` for syntax errors) on invalid input,
    and ``RecursionError`` on nesting deeper than the interpreter allows.
    """
    return json.loads(text, parse_constant=_reject_constant)


def _preview(data: bytes) -> str:
    text = repr(data[:_PREVIEW_CHARS])
    return text + "..." if len(data) > _PREVIEW_CHARS else text


def _check_header(header: bytes) -> None:
    try:
        decoded = loads_strict(header)
    except (ValueError, RecursionError):
        raise DatagramError(BAD_HEADER, f"not JSON: {_preview(header)}") from None
    if not isinstance(decoded, dict):
        raise DatagramError(BAD_HEADER, f"not a JSON object: {_preview(header)}")
    # Go's encoding/json matches struct fields ignoring case; the last match wins.
    fields = {key.lower(): value for key, value in decoded.items()}
    fmt = fields.get("format")
    version = fields.get("version")
    format_ok = isinstance(fmt, str) and fmt.lower() == "json"
    # Go decodes only an integer literal into the daemon's int field: 1.0 and true fail.
    version_ok = type(version) is int and version == 1
    if not (format_ok and version_ok):
        raise DatagramError(
            BAD_HEADER,
            f'expected {HEADER.decode()} (format "json", version 1), got {_preview(header)}',
        )


def parse_datagram(data: bytes) -> dict[str, Any]:
    """Parse one X-Ray daemon datagram and return its JSON document.

    ``data`` is the whole UDP payload: header line, ``\\n``, one JSON document (X-Ray
    daemon protocol). Returns the document as a ``dict``. Raises ``DatagramError`` (a
    ``ValueError``) naming the reason: over ``MAX_DATAGRAM_BYTES`` bytes, no newline,
    nothing after the newline, a header the daemon would reject, a body that is not UTF-8,
    not strict JSON (``NaN``/``Infinity`` included) or not a JSON object.
    """
    if len(data) > MAX_DATAGRAM_BYTES:
        raise DatagramError(
            TOO_LARGE, f"{len(data):,} bytes, the UDP limit is {MAX_DATAGRAM_BYTES:,}"
        )
    header, newline, body = data.partition(b"\n")
    if not newline:
        raise DatagramError(
            MISSING_HEADER, f"no newline after the header line, got {_preview(data)}"
        )
    _check_header(header)
    if not body.strip():
        raise DatagramError(MISSING_DOCUMENT, "nothing follows the header line")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatagramError(NOT_UTF8, f"{exc.reason} at byte {exc.start}") from None
    try:
        document = loads_strict(text)
    except RecursionError:
        raise DatagramError(NOT_JSON, "nested too deeply") from None
    except ValueError as exc:
        raise DatagramError(NOT_JSON, str(exc)) from None
    if not isinstance(document, dict):
        raise DatagramError(NOT_OBJECT, f"the document is a JSON {type(document).__name__}")
    return document
