"""Property tests over finished spans (issue 4 §3): whatever a span holds, the span
processor raises nothing, drops nothing, and every document it sends is one X-Ray
accepts (SPEC §6), finite JSON, within one datagram."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from opentelemetry.trace import SpanKind, StatusCode

from tests.property.strategies import (
    MAX_64,
    SpanSpec,
    build_span,
    span_ids,
    span_specs,
    trace_ids,
    traces,
)
from xraysink import XRaySpanProcessor
from xraysink.emitters.protocol import MAX_DATAGRAM_BYTES, PROTOCOL_HEADER
from xraysink.emitters.udp import UDPDaemonEmitter
from xraysink.receiver import Receiver, validate_document
from xraysink.translate import translate_span
from xraysink.translate.shape import shape_of

Tree = list[tuple[SpanSpec, "int | None"]]


class CollectingEmitter:
    """An emitter (``send_entity`` interface) that keeps each serialized document."""

    def __init__(self) -> None:
        self.payloads: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.payloads.append(entity.serialize())


def _no_constant(name: str) -> None:
    raise AssertionError(f"non-finite number {name} in a document")


def checked_document(payload: str) -> dict[str, Any]:
    """Decode one sent document, asserting the invariants of issue 4 §3."""
    size = len(PROTOCOL_HEADER) + len(payload.encode("utf-8"))
    assert size <= MAX_DATAGRAM_BYTES, f"datagram of {size:,} bytes"
    document: dict[str, Any] = json.loads(payload, parse_constant=_no_constant)
    problems = validate_document(document)
    assert problems == [], problems
    return document


def entity_ids(documents: list[dict[str, Any]]) -> Counter[str]:
    """Ids of every entity sent, embedded subsegments included."""
    ids: Counter[str] = Counter()
    stack = list(documents)
    while stack:
        entity = stack.pop()
        ids[entity["id"]] += 1
        stack.extend(entity.get("subsegments", ()))
    return ids


def run(processor: XRaySpanProcessor, tree: Tree, end_order: list[int]) -> None:
    spans = [build_span(spec) for spec, _ in tree]
    for span in spans:
        # on_start reads only the context, parent and kind, which a ReadableSpan has.
        processor.on_start(span)  # type: ignore[arg-type]
    for index in end_order:
        processor.on_end(spans[index])
    processor.force_flush()


def assert_each_span_arrived_once(
    processor: XRaySpanProcessor, tree: Tree, documents: list[dict[str, Any]]
) -> None:
    assert not [kind for kind in processor.stats if kind.startswith("dropped")], processor.stats
    expected = Counter(f"{spec['span_id'] & MAX_64:016x}" for spec, _ in tree)
    received = entity_ids(documents)
    for span_id, count in expected.items():
        assert received[span_id] == count, (span_id, received)


@given(tree=traces(), data=st.data(), index_all=st.booleans())
def test_any_trace_gives_valid_documents_each_span_once(
    tree: Tree, data: st.DataObject, index_all: bool
) -> None:
    emitter = CollectingEmitter()
    processor = XRaySpanProcessor(
        emitter,
        indexed_attributes=["http.request.method", "", "aws.service"],
        index_all_attributes=index_all,
    )
    order = data.draw(st.permutations(range(len(tree))), label="end order")
    run(processor, tree, order)
    documents = [checked_document(payload) for payload in emitter.payloads]
    assert_each_span_arrived_once(processor, tree, documents)
    describe(tree, documents)


def describe(tree: Tree, documents: list[dict[str, Any]]) -> None:
    """Label the example for ``--hypothesis-show-statistics``: which hard cases it hit."""
    event(f"{len(tree)} spans, {len(documents)} documents")
    if any(_truncated(document) for document in documents):
        event("an entity cut down to fit (xraysink.truncated)")
    if any(
        spec["end"] is not None and spec["start"] is not None and spec["end"] < spec["start"]
        for spec, _ in tree
    ):
        event("clock skew: a span ends before it starts")
    if any("cause" in document for document in documents):
        event("a cause block")
    if any("subsegments" in document for document in documents):
        event("children embedded in their root's document")


def _truncated(entity: dict[str, Any]) -> bool:
    metadata = entity.get("metadata", {}).get("default", {})
    return metadata.get("xraysink.truncated") is True or any(
        _truncated(child) for child in entity.get("subsegments", ())
    )


@settings(max_examples=settings().max_examples // 4)
@given(tree=traces(max_spans=4))
def test_end_to_end_through_a_real_socket(tree: Tree) -> None:
    with Receiver("127.0.0.1:0") as receiver:
        emitter = UDPDaemonEmitter(receiver.address)
        processor = XRaySpanProcessor(emitter)
        try:
            run(processor, tree, list(range(len(tree)))[::-1])
        finally:
            emitter.close()
        sent = processor.stats["documents"]
        assert receiver.wait_for_count(sent, timeout=5), (receiver.count, sent)
        assert receiver.errors == []
        records = receiver.records
    assert all(record.size <= MAX_DATAGRAM_BYTES for record in records)
    documents = [record.document for record in records if record.document is not None]
    assert len(documents) == sent
    assert_each_span_arrived_once(processor, tree, documents)


@given(spec=span_specs())
def test_a_lone_span_of_any_shape(spec: SpanSpec) -> None:
    emitter = CollectingEmitter()
    processor = XRaySpanProcessor(emitter, index_all_attributes=True)
    processor.on_end(build_span(spec))
    documents = [checked_document(payload) for payload in emitter.payloads]
    assert_each_span_arrived_once(processor, [(spec, None)], documents)


def _plain(span_id: int, parent: tuple[int, int, bool] | None) -> SpanSpec:
    """A one-second INTERNAL span named ``s`` in trace 1, with nothing else on it."""
    return {
        "name": "s",
        "trace_id": 1,
        "span_id": span_id,
        "parent": parent,
        "kind": SpanKind.INTERNAL,
        "status": (StatusCode.UNSET, None),
        "start": 1_700_000_000 * 10**9,
        "end": 1_700_000_001 * 10**9,
        "attributes": {},
        "events": [],
        "links": [],
        "resource": {},
    }


_TRACEBACK = 'Traceback (most recent call last):\n  File "a.py", line {}, in f\nValueError: bad\n'


def _message(size: int) -> dict[str, Any]:
    # An RPC message event: its size is the content length of an HTTP span.
    event = ("message", {"message.type": "RECEIVED", "messaging.message_payload_size_bytes": size})
    return {"attributes": {"http.request.method": "GET"}, "events": [(*event, None)]}


def _exception(stacktrace: str) -> dict[str, Any]:
    return {"events": [("exception", {"exception.stacktrace": stacktrace}, None)]}


@pytest.mark.parametrize(
    "fields",
    [
        {"attributes": {"http.response.status_code": 1 << 64}},
        {"attributes": {"http.status_code": -(1 << 63) - 1}},
        {"attributes": {"http.status_code": "1" * 4_301}},
        {"attributes": {"http.response.body.size": 1 << 64}},
        {"attributes": {"http.response_content_length": 1 << 64}},
        _exception(_TRACEBACK.format(1 << 64)),
        _exception(_TRACEBACK.format("1" * 4_301)),
        {"attributes": {"http.status_code": str(1 << 64)}},
        _message(1 << 64),
        {"attributes": {"http.response.status_code": (1 << 64) - 1}},
        {"attributes": {"http.status_code": str((1 << 64) - 1)}},
        _message((1 << 64) - 1),
        {"attributes": {"http.response.body.size": (1 << 64) - 1}},
        _exception(_TRACEBACK.format((1 << 64) - 1)),
    ],
)
def test_numbers_outside_64_bits_never_lose_the_span(fields: dict[str, Any]) -> None:
    spec: SpanSpec = {**_plain(1, None), "name": "huge numbers", "kind": SpanKind.SERVER, **fields}
    test_a_lone_span_of_any_shape.hypothesis.inner_test(spec)  # type: ignore[attr-defined]


def test_repeated_span_ids_lose_no_span() -> None:
    # 1 << 64 and 0 are both X-Ray id 0000000000000000 (ids are cut to 64 bits).
    tree: Tree = [
        (_plain(1 << 64, None), None),
        (_plain(1, (1, 1 << 64, False)), 0),
        (_plain(0, (1, 1, False)), 1),
    ]
    emitter = CollectingEmitter()
    processor = XRaySpanProcessor(emitter)
    run(processor, tree, [1, 2, 0])
    documents = [checked_document(payload) for payload in emitter.payloads]
    assert sum(entity_ids(documents).values()) == len(tree)


@given(spec=span_specs(parent=st.tuples(trace_ids, span_ids, st.booleans())))
def test_the_plain_subsegment_shortcut_sends_what_the_full_translation_does(
    spec: SpanSpec,
) -> None:
    # Most child spans carry no key any block reads, no events, links or error:
    # translate_fields takes a shortcut for them. Indexing an absent key forces the
    # full translation, which must give the same document.
    watched = shape_of(spec["attributes"]).present
    spec["attributes"] = {k: v for k, v in spec["attributes"].items() if k not in watched}
    spec["events"], spec["links"] = [], []
    if spec["status"][0] is StatusCode.ERROR:
        spec["status"] = (StatusCode.UNSET, None)
    if spec["start"] is None and spec["end"] is None:
        # A span without times is given the clock's time, different on each call.
        spec["end"] = 1_700_000_000_000_000_000
    span = build_span(spec)
    assert translate_span(span) == translate_span(span, frozenset({"absent.key"}))
