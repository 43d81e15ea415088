"""XRaySpanProcessor with real SDK providers and a real UDP receiver."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

from tests.e2e.xray import entities_of, wait_for_trace
from tests.scripts import run_python
from xraysink import XRaySpanProcessor
from xraysink.emitters.base import Emitter
from xraysink.emitters.protocol import MAX_DATAGRAM_BYTES
from xraysink.emitters.udp import UDPDaemonEmitter
from xraysink.propagation.header import format_trace_id
from xraysink.receiver.server import Receiver


def pipeline(
    receiver: Receiver | None = None, emitter: Emitter | None = None, **options: object
) -> tuple[XRaySpanProcessor, TracerProvider]:
    """A processor sending through ``emitter`` (default: UDP to ``receiver``), on its
    own provider."""
    if emitter is None:
        assert receiver is not None
        emitter = UDPDaemonEmitter(receiver.address)
    processor = XRaySpanProcessor(emitter, **options)  # type: ignore[arg-type]
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


def _entity(name: str, span_id: int, parent_id: int, trace_id: str) -> dict[str, Any]:
    now = time.time()
    return {
        "name": name,
        "id": f"{span_id:016x}",
        "trace_id": trace_id,
        "start_time": now,
        "end_time": now,
        "parent_id": f"{parent_id:016x}",
        "type": "subsegment",
    }


def test_entities_without_spans_wait_for_their_root_or_go_alone(receiver: Receiver) -> None:
    # What the recorder bridge hands over for an X-Ray SDK subsegment under the 1.6.2
    # call sites: embedded while its root is open, sent on its own after.
    processor, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    root = tracer.start_span("root")
    ids = root.get_span_context()
    trace_id = format_trace_id(ids.trace_id)
    processor.start_entity(0xA1, ids.span_id)
    processor.start_entity(0xA2, 0xA1)
    processor.start_entity(0xB1, ids.span_id)
    entity_context = trace.SpanContext(ids.trace_id, 0xA2, False, ids.trace_flags)
    with trace.use_span(trace.NonRecordingSpan(entity_context)):
        tracer.start_span("span under entity").end()
    processor.end_entity(0xA2, _entity("inner", 0xA2, 0xA1, trace_id))
    processor.end_entity(0xA1, _entity("outer", 0xA1, ids.span_id, trace_id))
    root.end()
    processor.end_entity(0xB1, _entity("late", 0xB1, ids.span_id, trace_id))
    entities = {e["name"]: e for e in wait_for_trace(receiver, trace_id, 5)}
    documents = [d for d in receiver.documents if d.get("trace_id") == trace_id]
    assert sorted(d["name"] for d in documents) == ["late", "root"]
    assert entities["outer"]["_parent"] == entities["root"]["id"]
    assert entities["inner"]["_parent"] == entities["outer"]["id"]
    assert entities["span under entity"]["_parent"] == entities["inner"]["id"]
    assert entities["late"]["type"] == "subsegment"
    assert processor.stats["spans"] == 5 and processor.stats["dropped"] == 0


class PacedEmitter(UDPDaemonEmitter):
    """Real UDP datagrams, with a pause for the receiver every 64 of them.

    A trace of 10,000 spans leaves in one burst of about 10,000 datagrams, about 18 MiB
    of kernel buffer on loopback: past ``net.core.rmem_max`` (4 MiB here, 208 KiB on
    stock kernels) the kernel drops what an in-process receiver thread has not read yet.
    That loss is UDP's, counted by nobody on either side; ``tests/reliability`` covers
    a full buffer. What this test checks is the processor's split.
    """

    def __init__(self, receiver: Receiver) -> None:
        super().__init__(receiver.address)
        self.receiver = receiver
        self.sent = 0
        self.in_step = True

    def send(self, document: bytes) -> None:
        super().send(document)
        self.sent += 1
        if self.in_step and self.sent % 64 == 0:
            self.in_step = self.receiver.wait_for_count(self.sent, timeout=10)


@pytest.mark.parametrize("spans", [1, 100, 1000, 10_000])
def test_large_traces_split_and_every_span_arrives_once(receiver: Receiver, spans: int) -> None:
    emitter = PacedEmitter(receiver)
    processor, provider = pipeline(emitter=emitter)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root") as root:
        for index in range(spans - 1):
            with tracer.start_as_current_span(f"child {index}", attributes={"payload": "x" * 200}):
                pass
    trace_id = format_trace_id(root.get_span_context().trace_id)
    # Wait on the datagram count first: re-walking 10,000 documents per arrival is slow.
    assert receiver.wait_for_count(processor.stats["documents"], timeout=20), (
        f"{receiver.count} of {processor.stats['documents']} datagrams received, "
        f"kernel buffer {receiver.receive_buffer} bytes"
    )
    assert emitter.in_step and emitter.sent == processor.stats["documents"]
    entities = wait_for_trace(receiver, trace_id, spans)
    assert len(entities) == spans
    assert len({entity["id"] for entity in entities}) == spans
    assert receiver.count == processor.stats["documents"]
    assert all(record.size <= MAX_DATAGRAM_BYTES for record in receiver.records)
    assert processor.stats["dropped"] == 0


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
    _, provider = pipeline(emitter=UDPEmitter(receiver.address))
    with provider.get_tracer("test").start_as_current_span("via-sdk-emitter") as span:
        pass
    (entity,) = wait_for_trace(receiver, format_trace_id(span.get_span_context().trace_id), 1)
    assert entity["name"] == "via-sdk-emitter"


class BrokenEmitter:
    def send_entity(self, entity: object) -> None:
        raise OSError("daemon socket broken")


def test_emitter_failures_are_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    processor, provider = pipeline(emitter=BrokenEmitter())
    tracer = provider.get_tracer("test")
    with caplog.at_level(logging.WARNING, logger="xraysink.export.processor"):
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


def test_a_span_with_thousands_of_events_arrives_truncated(receiver: Receiver) -> None:
    processor, provider = pipeline(receiver)
    with provider.get_tracer("test").start_as_current_span("eventful") as span:
        for index in range(3000):
            span.add_event(
                "exception",
                {
                    "exception.type": "ValueError",
                    "exception.message": f"failure {index}",
                    "exception.stacktrace": "Traceback (most recent call last):\n"
                    + '  File "app.py", line 1, in handler\n' * 20
                    + f"ValueError: failure {index}",
                },
            )
    (entity,) = wait_for_trace(receiver, format_trace_id(span.get_span_context().trace_id), 1)
    assert entity["metadata"]["default"]["xraysink.truncated"] is True
    assert entity["name"] == "eventful"
    assert receiver.records[0].size <= MAX_DATAGRAM_BYTES
    assert processor.stats["dropped"] == 0


def test_a_span_with_huge_metadata_arrives_truncated(receiver: Receiver) -> None:
    _, provider = pipeline(receiver)
    attributes = {f"key.{index}": "v" * 100 for index in range(5000)}
    attributes["aws.xray.metadata.big"] = '{"blob": "' + "z" * 200_000 + '"}'
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root") as root:
        with tracer.start_as_current_span("metadata-heavy", attributes=attributes):
            pass
    entities = {
        e["name"]: e
        for e in wait_for_trace(receiver, format_trace_id(root.get_span_context().trace_id), 2)
    }
    assert entities["metadata-heavy"]["metadata"]["default"]["xraysink.truncated"] is True
    assert entities["metadata-heavy"]["parent_id"] == entities["root"]["id"]
    assert all(record.size <= MAX_DATAGRAM_BYTES for record in receiver.records)


class PaddingEmitter(UDPDaemonEmitter):
    """A real UDP emitter that wraps every document in 70 kB of envelope, as a
    foreign emitter might: the kernel refuses each datagram (EMSGSIZE)."""

    def send(self, document: bytes) -> None:
        super().send(document + b" " * 70_000)


@pytest.mark.parametrize(
    ("make_emitter", "kind"),
    [
        (lambda address: PaddingEmitter(address), "datagram_too_large"),
        (lambda address: UDPDaemonEmitter("no-such-host.invalid:2000"), "daemon_unresolved"),
        (lambda address: closed(UDPDaemonEmitter(address)), "socket_closed"),
        (lambda address: BrokenEmitter(), "send"),
    ],
)
def test_each_kind_of_drop_is_counted_and_logged_once(
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    make_emitter: Callable[[str], Emitter],
    kind: str,
) -> None:
    processor, provider = pipeline(emitter=make_emitter(receiver.address))
    tracer = provider.get_tracer("test")
    with caplog.at_level(logging.WARNING, logger="xraysink.export.processor"):
        for _ in range(20):
            with tracer.start_as_current_span("request", kind=SpanKind.SERVER):
                with tracer.start_as_current_span("child"):
                    pass
    assert processor.stats["dropped_" + kind] == 20
    assert processor.stats["dropped"] == 20
    assert processor.stats["spans"] == 40
    warnings = [r for r in caplog.records if r.name == "xraysink.export.processor"]
    assert len(warnings) == 1
    assert f"stats['dropped_{kind}']" in warnings[0].getMessage()
    # The processor keeps working once the emitter does.
    processor.emitter = UDPDaemonEmitter(receiver.address)
    with tracer.start_as_current_span("after") as span:
        pass
    wait_for_trace(receiver, format_trace_id(span.get_span_context().trace_id), 1)


def closed(emitter: UDPDaemonEmitter) -> UDPDaemonEmitter:
    emitter.close()
    return emitter


def test_waiting_children_are_bounded_per_trace(receiver: Receiver) -> None:
    processor, provider = pipeline(receiver, max_waiting_children=10)
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root") as root:
        for index in range(25):
            with tracer.start_as_current_span(f"child {index}"):
                pass
        # Past the bound, children leave at once, before their root ends.
        assert receiver.wait_for_count(15)
    trace_id = format_trace_id(root.get_span_context().trace_id)
    entities = wait_for_trace(receiver, trace_id, 26)
    assert len({entity["id"] for entity in entities}) == 26
    assert processor.stats["unembedded_count"] == 15
    (root_document,) = [d for d in receiver.documents if "type" not in d]
    assert len(root_document["subsegments"]) == 10


def test_a_root_that_never_ends_holds_nothing_after_the_age_bound(receiver: Receiver) -> None:
    processor, provider = pipeline(receiver, max_wait_seconds=0.05)
    tracer = provider.get_tracer("test")
    forgotten = tracer.start_span("never ends")
    context = trace.set_span_in_context(forgotten)
    for index in range(3):
        tracer.start_span(f"done {index}", context=context).end()
    leaked = tracer.start_span("never ends either", context=context)
    time.sleep(0.1)
    # The next local root to start sends what the stale one held, on its own.
    with tracer.start_as_current_span("next request"):
        pass
    trace_id = format_trace_id(forgotten.get_span_context().trace_id)
    entities = wait_for_trace(receiver, trace_id, 3)
    assert all(
        entity["parent_id"] == f"{forgotten.get_span_context().span_id:016x}" for entity in entities
    )
    assert processor.stats["unembedded_age"] == 3
    assert processor._root_of == {}
    assert processor._waiting == {}
    leaked.end()
    forgotten.end()
    wait_for_trace(receiver, trace_id, 5)


def test_open_children_of_an_ended_root_are_not_kept(receiver: Receiver) -> None:
    processor, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    for _ in range(50):
        with tracer.start_as_current_span("request", kind=SpanKind.SERVER):
            tracer.start_span("started, never ended")
    assert processor._root_of == {}
    assert processor._waiting == {}


def test_force_flush_sends_ended_children_once(receiver: Receiver) -> None:
    _, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    root = tracer.start_span("long task")
    context = trace.set_span_in_context(root)
    parent = tracer.start_span("step", context=context)
    tracer.start_span("sub-step", context=trace.set_span_in_context(parent)).end()
    parent.end()
    assert receiver.count == 0
    assert provider.force_flush()
    trace_id = format_trace_id(root.get_span_context().trace_id)
    entities = {e["name"]: e for e in wait_for_trace(receiver, trace_id, 2)}
    assert entities["step"]["type"] == "subsegment"
    assert entities["sub-step"]["_parent"] == entities["step"]["id"]
    tracer.start_span("after flush", context=context).end()
    root.end()
    entities = {e["name"]: e for e in wait_for_trace(receiver, trace_id, 4)}
    assert entities["after flush"]["_parent"] == entities["long task"]["id"]
    assert receiver.count == 2


def test_interpreter_exit_sends_children_of_a_root_still_open(receiver: Receiver) -> None:
    result = run_python(
        f"""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from xraysink import XRaySpanProcessor
        from xraysink.emitters.udp import UDPDaemonEmitter

        provider = TracerProvider()
        provider.add_span_processor(XRaySpanProcessor(UDPDaemonEmitter("{receiver.address}")))
        tracer = provider.get_tracer("t")
        root = tracer.start_span("interrupted")
        tracer.start_span("ended", context=trace.set_span_in_context(root)).end()
        print(f"{{root.get_span_context().trace_id:032x}}")
        """
    )
    assert result.returncode == 0, result.stderr
    digits = result.stdout.strip()
    (entity,) = wait_for_trace(receiver, f"1-{digits[:8]}-{digits[8:]}", 1)
    assert entity["name"] == "ended"
    assert entity["type"] == "subsegment"


def test_a_forked_child_loses_nothing_and_sends_nothing_twice(receiver: Receiver) -> None:
    result = run_python(
        f"""
        import os
        from opentelemetry.context import Context
        from opentelemetry.sdk.trace import TracerProvider
        from xraysink import XRaySpanProcessor
        from xraysink.emitters.udp import UDPDaemonEmitter

        processor = XRaySpanProcessor(UDPDaemonEmitter("{receiver.address}"))
        provider = TracerProvider()
        provider.add_span_processor(processor)
        tracer = provider.get_tracer("t")
        with tracer.start_as_current_span("parent request") as root:
            with tracer.start_as_current_span("before fork"):
                pass
            with tracer.start_as_current_span("open at fork"):
                pid = os.fork()
                if pid == 0:
                    # The child ends its copies of the open spans: the parent sends those.
                    with tracer.start_as_current_span("child work"):
                        pass
                    new_trace = Context()
                    with tracer.start_as_current_span("child request", new_trace) as child_root:
                        with tracer.start_as_current_span("child step"):
                            pass
            if pid == 0:
                print(f"{{child_root.get_span_context().trace_id:032x}}", flush=True)
                os._exit(0 if processor.stats["documents"] == 2 else 3)
            assert os.waitpid(pid, 0)[1] == 0
        print(f"{{root.get_span_context().trace_id:032x}}")
        """
    )
    assert result.returncode == 0, result.stderr
    child_digits, parent_digits = result.stdout.split()
    parent_trace = f"1-{parent_digits[:8]}-{parent_digits[8:]}"
    child_trace = f"1-{child_digits[:8]}-{child_digits[8:]}"
    parent = {e["name"]: e for e in wait_for_trace(receiver, parent_trace, 4)}
    child = {e["name"]: e for e in wait_for_trace(receiver, child_trace, 2)}
    assert set(parent) == {"parent request", "before fork", "open at fork", "child work"}
    assert parent["child work"]["type"] == "subsegment"
    assert set(child) == {"child request", "child step"}
    receiver.wait_quiet(0.2)
    names = [e["name"] for e in entities_of(receiver.documents, parent_trace)]
    assert sorted(names) == sorted(parent)
    senders = {record.sender for record in receiver.records}
    assert len(senders) == 2


class _Unreadable(ReadableSpan):
    """A finished span from another pipeline whose attributes cannot be read."""

    @property
    def attributes(self) -> Any:
        raise RuntimeError("attributes unavailable")


def test_a_child_that_cannot_be_translated_is_counted_and_its_trace_still_arrives(
    receiver: Receiver,
) -> None:
    processor, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    root = tracer.start_span("root")
    inside = trace.set_span_in_context(root)
    tracer.start_span("good", context=inside).end()
    bad = tracer.start_span("bad", context=inside)
    processor.on_end(
        _Unreadable(name="bad", context=bad.get_span_context(), parent=root.get_span_context())
    )
    root.end()
    trace_id = format_trace_id(root.get_span_context().trace_id)
    entities = wait_for_trace(receiver, trace_id, 2)
    assert sorted(entity["name"] for entity in entities) == ["good", "root"]
    assert [d["name"] for d in receiver.documents if d.get("trace_id") == trace_id] == ["root"]
    assert processor.stats["dropped_translation"] == 1
    assert processor.stats["dropped"] == 1


def test_the_children_of_a_root_that_cannot_be_translated_still_arrive(
    receiver: Receiver,
) -> None:
    processor, provider = pipeline(receiver)
    tracer = provider.get_tracer("test")
    root = tracer.start_span("root")
    tracer.start_span("child", context=trace.set_span_in_context(root)).end()
    processor.on_end(_Unreadable(name="root", context=root.get_span_context()))
    trace_id = format_trace_id(root.get_span_context().trace_id)
    (child,) = wait_for_trace(receiver, trace_id, 1)
    assert child["name"] == "child"
    assert child["parent_id"] == f"{root.get_span_context().span_id:016x}"
    assert processor.stats["dropped_translation"] == 1
