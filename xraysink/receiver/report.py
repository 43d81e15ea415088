"""Text for a batch of received datagrams: trace trees, then what X-Ray would reject."""

from __future__ import annotations

from collections.abc import Iterable

from xraysink.receiver.record import Received
from xraysink.receiver.tree import build_traces, render_trace


def render_problems(record: Received) -> str:
    """Why X-Ray would reject ``record``, as text: one line for a datagram that breaks
    the X-Ray daemon protocol, or a heading plus one indented line per validation reason.
    Empty when the document is accepted."""
    if record.parse_error is not None:
        return f"invalid datagram {record.label}: {record.parse_error}"
    if record.problems:
        reasons = (f"  {problem}" for problem in record.problems)
        return "\n".join([f"invalid document {record.label}:", *reasons])
    return ""


def render_batch(records: Iterable[Received]) -> str:
    """Every trace built from the valid documents of ``records`` (see ``render_trace``),
    in order of first arrival, followed by ``render_problems`` for each rejected
    datagram. Documents X-Ray would reject are left out of the trees, as X-Ray drops
    them. No trailing newline."""
    kept = list(records)
    accepted = [r.document for r in kept if r.document is not None and not r.problems]
    blocks = [render_trace(trace) for trace in build_traces(accepted).values()]
    blocks += [render_problems(record) for record in kept if not record.valid]
    return "\n".join(blocks)
