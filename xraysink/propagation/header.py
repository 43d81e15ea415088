"""The ``X-Amzn-Trace-Id`` trace header: lenient parsing and formatting.

Source of the format: X-Ray developer guide, "Tracing header"
(``Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1``).
Parsing accepts what real callers send and ``opentelemetry-propagator-aws-xray``
drops: a ``Root`` without ``Parent`` (an ALB), ``Sampled=?``, any key case,
stray ``;`` and spaces, unknown keys such as ``Lineage`` or ``Self``.

A value longer than ``MAX_HEADER_LENGTH`` (1,024 characters) is ignored whole,
not parsed: a caller cannot make each request pay for splitting a huge header
and the request starts a new trace as if it had sent none.
"""

from __future__ import annotations

from typing import NamedTuple

HEADER_NAME = "X-Amzn-Trace-Id"

#: Longer headers are ignored, not parsed: a real one is under 256 characters
#: even with ``Lineage`` and ``Self``; the bound keeps hostile input cheap.
MAX_HEADER_LENGTH = 1024

_HEX = frozenset("0123456789abcdef")


class TraceHeader(NamedTuple):
    """A parsed trace header.

    ``trace_id`` is the 128-bit OpenTelemetry trace id (``Root``), ``parent_id``
    the 64-bit span id of the caller's entity (``Parent``) or None, ``sampled``
    True/False for ``Sampled=1``/``0`` and None when undecided (missing or ``?``),
    ``sampling_requested`` True for ``Sampled=?``: the caller asks to be told
    the decision in the response header.
    """

    trace_id: int
    parent_id: int | None
    sampled: bool | None
    sampling_requested: bool


def _is_hex(value: str, length: int) -> bool:
    return len(value) == length and _HEX.issuperset(value)


def parse_trace_id(value: str) -> int | None:
    """``1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`` (any case) -> 128-bit int, else None."""
    value = value.strip().lower()
    if len(value) != 35 or value[:2] != "1-" or value[10] != "-":
        return None
    digits = value[2:10] + value[11:]
    if not _is_hex(digits, 32):
        return None
    trace_id = int(digits, 16)
    return trace_id or None


def parse_trace_header(value: str | None) -> TraceHeader | None:
    """Parse an ``X-Amzn-Trace-Id`` value leniently.

    Returns None when there is no usable ``Root`` (absent, malformed, all zeros),
    or the value is longer than ``MAX_HEADER_LENGTH``. A malformed ``Parent`` is
    treated as absent, a malformed ``Sampled`` as undecided. Never raises.
    """
    if not value or len(value) > MAX_HEADER_LENGTH:
        return None
    trace_id: int | None = None
    parent_id: int | None = None
    sampled: bool | None = None
    requested = False
    for part in value.split(";"):
        key, sep, field = part.partition("=")
        if not sep:
            continue
        key = key.strip().lower()
        field = field.strip()
        if key == "root":
            trace_id = parse_trace_id(field)
        elif key == "parent":
            lowered = field.lower()
            parent_id = int(lowered, 16) if _is_hex(lowered, 16) else None
            parent_id = parent_id or None
        elif key == "sampled":
            sampled = {"1": True, "0": False}.get(field)
            requested = field == "?"
    if trace_id is None:
        return None
    return TraceHeader(trace_id, parent_id, sampled, requested)


_MASK_64 = (1 << 64) - 1
_MASK_128 = (1 << 128) - 1
#: ``[(trace id, its text)]``, the last conversion of :func:`format_trace_id`: spans of
#: one trace end together, so most conversions are the last one again. The translator
#: checks it before calling, which saves a Python call per entity.
TRACE_ID_MEMO: list[tuple[int, str]] = [(-1, "")]


def format_trace_id(trace_id: int) -> str:
    """128-bit OpenTelemetry trace id -> X-Ray ``1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx``
    (the X-Ray trace id format: version, 8 hex digits of epoch seconds, 24 hex)."""
    last = TRACE_ID_MEMO[0]
    if last[0] == trace_id:
        return last[1]
    digits = (trace_id & _MASK_128).to_bytes(16, "big").hex()
    text = "1-" + digits[:8] + "-" + digits[8:]
    TRACE_ID_MEMO[0] = (trace_id, text)
    return text


def format_id(span_id: int) -> str:
    """64-bit span id -> the 16 lowercase hex digits of X-Ray ``id``/``parent_id``."""
    return "%016x" % (span_id & _MASK_64)


def format_response_header(trace_id: int, sampled: bool, origin: TraceHeader | None) -> str:
    """The response header value: ``Root=<trace id>``, plus ``;Sampled=<0|1>`` when
    the request asked with ``Sampled=?`` (X-Ray SDK ``prepare_response_header``)."""
    value = "Root=" + format_trace_id(trace_id)
    if origin is not None and origin.sampling_requested:
        value += ";Sampled=1" if sampled else ";Sampled=0"
    return value
