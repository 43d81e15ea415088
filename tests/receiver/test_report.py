"""A batch of received datagrams as text: trees of what X-Ray keeps, then what it drops."""

from __future__ import annotations

import json
from typing import Any

from tests.documents import HEADER
from xraysink.receiver import Received, render_batch, render_problems

T = "1-5f0a1b2c-0123456789abcdef01234567"


def received(seq: int, data: bytes) -> Received:
    return Received.from_datagram(data, seq=seq, sender="127.0.0.1:40000", received_at=0.0)


def doc(name: str, ident: str, **fields: Any) -> bytes:
    body = {"name": name, "id": ident * 16, "start_time": 10.0, "end_time": 10.004, **fields}
    return HEADER + json.dumps(body).encode()


def test_a_batch_draws_accepted_documents_and_lists_rejected_ones() -> None:
    records = [
        received(0, doc("api", "a", trace_id=T)),
        received(1, b'{"format":"json","version":2}\n{}'),
        received(2, doc("child", "b", type="subsegment", trace_id=T, parent_id="a" * 16)),
        # Rejected by X-Ray, so left out of the tree: its child shows as an orphan.
        received(3, doc("worker", "c", trace_id=T, end_time=9.0)),
        received(4, doc("job", "d", type="subsegment", trace_id=T, parent_id="c" * 16)),
    ]
    assert render_batch(records) == "\n".join(
        [
            f"trace {T} (3 entities)",
            "  api  4.000 ms",
            "    child  4.000 ms",
            "  job  4.000 ms  (orphan: parent cccccccccccccccc not received)",
            "invalid datagram #1 from 127.0.0.1:40000 (32 bytes): bad header: expected "
            '{"format":"json","version":1} (format "json", version 1), '
            'got b\'{"format":"json","version":2}\'',
            "invalid document #3 from 127.0.0.1:40000 (name 'worker', id 'cccccccccccccccc'):",
            "  end_time: 9.0 is before start_time 10.0",
        ]
    )


def test_an_accepted_document_has_no_problems_to_render() -> None:
    record = received(0, doc("api", "a", trace_id=T))
    assert record.valid
    assert record.errors == []
    assert render_problems(record) == ""


def test_an_empty_batch_renders_nothing() -> None:
    assert render_batch([]) == ""
