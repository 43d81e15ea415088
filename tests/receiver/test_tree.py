"""Documents grouped into traces, linked by embedding and parent_id, drawn as text."""

from __future__ import annotations

from typing import Any

from tests.documents import TRACE_ID, entity
from xraysink.receiver.tree import (
    NO_TRACE_ID,
    build_traces,
    entities_per_trace,
    render_trace,
)

T = TRACE_ID
OTHER = "1-5f0a1b2d-76543210fedcba9876543210"


def independent(
    name: str, ident: str, parent: str, start: float, end: float, **fields: Any
) -> dict[str, Any]:
    return entity(
        name, ident, start, end, type="subsegment", trace_id=T, parent_id=parent * 16, **fields
    )


def checkout_trace() -> list[dict[str, Any]]:
    """A frontend segment embedding two subsegments (one with its own child), a late
    independent subsegment under an embedded one, a downstream service's segment, an
    orphan, and an unrelated trace."""
    frontend = entity(
        "frontend",
        "a",
        0.0,
        0.25,
        trace_id=T,
        http={
            "request": {"method": "GET", "url": "http://localhost/checkout"},
            "response": {"status": 200},
        },
        annotations={"user": "alice", "items": 3, "gift": False},
        subsegments=[
            entity(
                "payments",
                "b",
                0.05,
                0.2,
                namespace="remote",
                fault=True,
                http={
                    "request": {"method": "POST", "url": "https://pay/charge"},
                    "response": {"status": 500},
                },
                subsegments=[entity("retry", "c", 0.06, 0.07, error=True)],
            ),
            entity("cache", "d", 0.01, 0.02),
        ],
    )
    return [
        frontend,
        independent("slow-io", "e", "b", 0.1, 0.15, throttle=True, error=True),
        independent("lost", "f", "9", 0.3, 0.31),
        entity("backend", "1", 0.055, 0.19, trace_id=T, parent_id="b" * 16),
        entity("other", "2", 0.0, 0.001, trace_id=OTHER),
    ]


def test_a_trace_is_drawn_as_an_indented_tree() -> None:
    traces = build_traces(checkout_trace())
    assert list(traces) == [T, OTHER]
    assert render_trace(traces[T]) == "\n".join(
        [
            f"trace {T} (7 entities)",
            "  frontend  250.000 ms  GET http://localhost/checkout 200  "
            '{user="alice", items=3, gift=false}',
            "    cache  10.000 ms",
            "    payments  150.000 ms  POST https://pay/charge 500  fault",
            "      backend  135.000 ms",
            "      retry  10.000 ms  error",
            "      slow-io  50.000 ms  error throttle",
            "  lost  10.000 ms  (orphan: parent 9999999999999999 not received)",
        ]
    )
    assert render_trace(traces[OTHER]) == f"trace {OTHER} (1 entity)\n  other  1.000 ms"


def test_entities_are_counted_per_trace_embedded_ones_included() -> None:
    assert entities_per_trace(checkout_trace()) == {T: 7, OTHER: 1}


def test_links_are_exposed_for_assertions() -> None:
    trace = build_traces(checkout_trace())[T]
    [payments] = trace.named("payments")
    assert [child.name for child in payments.children] == ["backend", "retry", "slow-io"]
    assert [root.name for root in trace.roots] == ["frontend"]
    assert [orphan.name for orphan in trace.orphans] == ["lost"]
    assert payments.embedded_in is trace.roots[0]
    assert trace.named("backend")[0].is_segment


def test_a_segment_whose_upstream_parent_never_arrived_is_a_root_not_an_orphan() -> None:
    doc = entity("api", "a", 0.0, 0.002, trace_id=T, parent_id="9" * 16)
    trace = build_traces([doc])[T]
    assert render_trace(trace) == f"trace {T} (1 entity)\n  api  2.000 ms"


def test_an_id_received_twice_is_counted_twice_and_drawn_once() -> None:
    first = independent("job", "e", "a", 0.0, 0.5, in_progress=True)
    del first["end_time"]
    second = independent("job", "e", "a", 0.0, 0.75)
    root = entity("worker", "a", 0.0, 1.0, trace_id=T)
    trace = build_traces([root, first, second])[T]
    assert trace.entity_count == 3
    assert render_trace(trace).splitlines()[1:] == [
        "  worker  1000.000 ms",
        "    job  750.000 ms  (id eeeeeeeeeeeeeeee received 2 times, last drawn)",
    ]


def test_in_progress_entities_show_no_duration() -> None:
    doc = entity("long", "a", 0.0, 0.0, trace_id=T, in_progress=True)
    del doc["end_time"]
    assert render_trace(build_traces([doc])[T]).endswith("  long  in progress")


def test_parents_naming_each_other_do_not_loop() -> None:
    one = independent("one", "e", "f", 0.0, 0.001)
    two = independent("two", "f", "e", 0.001, 0.002)
    trace = build_traces([one, two])[T]
    assert render_trace(trace).splitlines()[1:] == [
        "  two  1.000 ms  (orphan: parent eeeeeeeeeeeeeeee descends from it)",
        "    one  1.000 ms",
    ]


def test_documents_without_a_trace_id_are_kept_together() -> None:
    docs = [{"name": "a", "start_time": "soon"}, {"id": 7}, "not a document"]
    traces = build_traces(docs)  # type: ignore[arg-type]
    assert list(traces) == [NO_TRACE_ID]
    assert render_trace(traces[NO_TRACE_ID]) == "trace (no trace_id) (2 entities)\n  a\n  ?"
