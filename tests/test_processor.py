"""XRaySpanProcessor with real SDK providers and a real UDP receiver."""

from __future__ import annotations

import logging
import time

import pytest
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

from tests.e2e.xray import entities_of, wait_for_trace
from xraysink import XRaySpanProcessor
from xraysink.emitter import MAX_DATAGRAM_BYTES, UDPDaemonEmitter
from xraysink.receiver.server import Receiver
from xraysink.trace_header import format_trace_id


def pipeline(receiver: Receiver, **options: object) -> tuple[XRaySpanProcessor, TracerProvider]:
    processor = XRaySpanProcessor(UDPDaemonEmitter(receiver.address), **options)  # type: ignore[arg-type]
    provider = TracerProvider()
    provider.add_span_processor(processor)
    return processor, provider


def test_children_that_end_first_are_embedded(receiver: Receiver) -> None:
    processor, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root") as root:
        with tracer.start_as_current_span("child"):
            with tracer.start_as_current_span("grandchild"):
                pass
    trace_id = format_trace_id(root.get_span_context().trace_id)
    entities = wait_for_trace(receiver, trace_id, 3)
    assert len([d for d in receiver.documents if d.get("trace_id") == trace_id]) == 1
    parents = {e["name"]: e["_parent"] for e in entities}
    ids = {e["name"]: e["id"] for e in entities}
    assert parents == {"root": None, "child": ids["root"], "grandchild": ids["child"]}
    assert processor.stats["documents"] == 1


def test_children_that_end_late_are_sent_on_their_own(receiver: Receiver) -> None:
    _, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    root = tracer.start_span("root")
    from opentelemetry import trace

    context = trace.set_span_in_context(root)
    late = tracer.start_span("late", context=context)
    early = tracer.start_span("early-under-late", context=trace.set_span_in_context(late))
    early.end()
    root.end()
    late.end()
    trace_id = format_trace_id(root.get_span_context().trace_id)
    entities = {e["name"]: e for e in wait_for_trace(receiver, trace_id, 3)}
    assert entities["late"]["type"] == "subsegment"
    assert entities["late"]["parent_id"] == entities["root"]["id"]
    assert entities["early-under-late"]["parent_id"] == entities["late"]["id"]
    assert entities["early-under-late"]["type"] == "subsegment"


@pytest.mark.parametrize("spans", [1, 100, 1000])
def test_large_traces_split_and_every_span_arrives_once(receiver: Receiver, spans: int) -> None:
    _, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root") as root:
        for index in range(spans - 1):
            with tracer.start_as_current_span(f"child {index}", attributes={"payload": "x" * 200}):
                pass
    trace_id = format_trace_id(root.get_span_context().trace_id)
    entities = wait_for_trace(receiver, trace_id, spans, timeout=20)
    assert len(entities) == spans
    assert all(record.size <= MAX_DATAGRAM_BYTES for record in receiver.records)


def test_a_span_too_large_alone_is_truncated_with_a_marker(receiver: Receiver) -> None:
    _, provider = pipeline(receiver)
    with provider.get_tracer("test").start_as_current_span(
        "huge", attributes={"blob": "y" * 1_000_000}
    ) as span:
        pass
    (entity,) = wait_for_trace(receiver, format_trace_id(span.get_span_context().trace_id), 1)
    assert entity["metadata"]["default"]["xraysink.truncated"] is True
    assert entity["name"] == "huge"


def test_unsampled_spans_are_not_sent(receiver: Receiver) -> None:
    processor = XRaySpanProcessor(UDPDaemonEmitter(receiver.address))
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(processor)
    with provider.get_tracer("test").start_as_current_span("dropped"):
        pass
    assert processor.stats["documents"] == 0
    assert receiver.count == 0


def test_the_x_ray_sdk_emitter_fits(receiver: Receiver) -> None:
    processor = XRaySpanProcessor(UDPEmitter(receiver.address))
    provider = TracerProvider()
    provider.add_span_processor(processor)
    with provider.get_tracer("test").start_as_current_span("via-sdk-emitter") as span:
        pass
    (entity,) = wait_for_trace(receiver, format_trace_id(span.get_span_context().trace_id), 1)
    assert entity["name"] == "via-sdk-emitter"


class BrokenEmitter:
    def send_entity(self, entity: object) -> None:
        raise OSError("daemon socket broken")


def test_emitter_failures_are_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    processor = XRaySpanProcessor(BrokenEmitter())
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    with caplog.at_level(logging.WARNING, logger="xraysink.processor"):
        for _ in range(5):
            with tracer.start_as_current_span("request", kind=SpanKind.SERVER):
                pass
    assert processor.stats["dropped_send"] == 5
    assert processor.stats["spans"] == 5
    assert len([r for r in caplog.records if "emitter failed" in r.getMessage()]) == 1


def test_log_group_override_applies_to_segments_only(receiver: Receiver) -> None:
    processor, provider = pipeline(receiver)
    processor.log_groups = [{"log_group": "/set/later"}]
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root") as root:
        with tracer.start_as_current_span("child"):
            time.sleep(0)
    entities = {
        e["name"]: e
        for e in wait_for_trace(receiver, format_trace_id(root.get_span_context().trace_id), 2)
    }
    assert entities["root"]["aws"]["cloudwatch_logs"] == [{"log_group": "/set/later"}]
    assert "cloudwatch_logs" not in entities["child"].get("aws", {})
    assert entities_of(receiver.documents, "nope") == []


def test_a_span_with_a_huge_user_still_arrives(receiver: Receiver) -> None:
    _, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("user", attributes={"enduser.id": "u" * 70_000}) as span:
        pass
    trace_id = format_trace_id(span.get_span_context().trace_id)
    (entity,) = wait_for_trace(receiver, trace_id, 1)
    assert entity["metadata"]["default"]["xraysink.truncated"] is True
