"""The export path alone, per typical HTTP SERVER span: ``XRaySpanProcessor.on_end``
with a real UDP socket (translate + serialize + send), and translate and serialize
on their own; then per request: one request's 4 spans (SERVER + 3 nested children)
and 7 spans (+ FastAPI's 3 ``fastapi.*`` operation spans) through ``on_start`` and
``on_end``, one datagram per request, and the same trace's translate + serialize +
send without the processor's bookkeeping; and that export of the 4 spans again,
alternating repeat by repeat with its baseline, the X-Ray SDK's serialize + send of
the 4-entity trace its recorder makes for the same request; and the span processor's
whole cost per span in live request trees (with it attached minus without it) against
that baseline.
Prints JSON: microseconds per span and per request (median of the repeats), document
sizes and the datagram counts.
Run: ``python -m benchmarks.export_path [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from benchmarks.app import CHILDREN
from benchmarks.documents import sdk_child_fields
from benchmarks.sinks import UdpSink
from benchmarks.spans import (
    SERVER_ATTRIBUTES,
    replay,
    request_spans,
    typical_resource,
    typical_server_span,
)
from xraysink import XRaySpanProcessor
from xraysink.emitters.udp import UDPDaemonEmitter
from xraysink.export.assemble import nest
from xraysink.export.serialize import encode_documents
from xraysink.translate import translate_span
from xraysink.translate.span import translate_fields
from xraysink.translate.spandata import read_span


def per_call_us(func: Callable[[], object], number: int, repeat: int) -> float:
    """Median over ``repeat`` runs of ``number`` calls, in µs per call."""
    runs = timeit.repeat(func, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e6


def measure(number: int, repeat: int) -> dict[str, float]:
    span = typical_server_span()
    sink = UdpSink()
    emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.port}")
    processor = XRaySpanProcessor(emitter)
    entity = translate_span(span)[0]
    document = encode_documents(entity)[0]
    sendto = emitter._socket.sendto
    datagram = b'{"format":"json","version":1}\n' + document
    address = emitter.address
    # An IP literal resolves when the emitter is made.
    assert address is not None
    results = {
        "on_end_us": per_call_us(lambda: processor.on_end(span), number, repeat),
        "translate_us": per_call_us(lambda: translate_span(span), number, repeat),
        "serialize_us": per_call_us(lambda: encode_documents(entity), number, repeat),
        "sendto_us": per_call_us(lambda: sendto(datagram, address), number, repeat),
        "document_bytes": float(len(document)),
    }
    emitter.close()
    received = sink.stop()
    results["datagrams_received"] = float(received["datagrams"])
    results["datagrams_sent"] = float(processor.stats["documents"] + number * repeat)
    return results


def export_trace(ended: list[ReadableSpan], emitter: UDPDaemonEmitter) -> None:
    """The export path alone for one request's trace, as the processor runs it for
    spans that end root last: read + translate each span, nest the children into the
    root's document, serialize, send. Without the processor's bookkeeping (which
    spans wait for which root, counters, the lock)."""
    children = [entity for span in ended[:-1] for entity in translate_fields(read_span(span))]
    root = translate_fields(read_span(ended[-1]))
    for document in nest(root, children):
        for payload in encode_documents(document):
            emitter.send(payload)


def measure_request(operation_spans: bool, number: int, repeat: int) -> dict[str, float]:
    """One request's spans replayed through ``XRaySpanProcessor.on_start``/``on_end``
    with a real UDP socket to a sink in another process: the children wait and are
    embedded in the root's document, one datagram per request. µs per request and per
    span (median of the repeats), and the counts that prove it: datagrams received
    against requests replayed, and the processor's own stats. Also the export path
    alone (``export_trace``: translate + serialize + send) per span of the same trace."""
    events = request_spans(operation_spans=operation_spans)
    ended = [span for kind, span in events if kind == "end"]
    spans = len(ended)
    sink = UdpSink()
    emitter = UDPDaemonEmitter(f"127.0.0.1:{sink.port}")
    processor = XRaySpanProcessor(emitter)
    per_request = per_call_us(lambda: replay(processor, events), number, repeat)
    export = per_call_us(lambda: export_trace(ended, emitter), number, repeat)
    emitter.close()
    received = sink.stop()
    stats = processor.stats
    return {
        "spans": float(spans),
        "request_us": per_request,
        "span_us": per_request / spans,
        "export_span_us": export / spans,
        "document_bytes": stats["bytes"] / stats["documents"] if stats["documents"] else 0.0,
        "requests_replayed": float(number * repeat),
        "datagrams_sent": float(stats["documents"]),
        "export_datagrams_sent": float(number * repeat),
        "datagrams_received": float(received["datagrams"]),
        "entities_per_datagram": (
            received["sampled_entities"] / received["sampled"] if received["sampled"] else 0.0
        ),
        "spans_ended": float(stats["spans"]),
        "dropped": float(stats["dropped"]),
        "unembedded": float(stats["unembedded_count"] + stats["unembedded_age"]),
    }


def sdk_trace() -> Any:
    """The X-Ray SDK path's trace of one request as its recorder sends it when the
    segment ends (``benchmarks.scenario.xray_sdk``): a segment with the request's
    ``http`` block and the recorder's ``aws``/``service`` fields, and the route's 3
    nested subsegments with an annotation and a metadata entry each. Made by a
    recorder of its own, whose emitter keeps the segment instead of sending it."""
    from aws_xray_sdk.core.context import Context
    from aws_xray_sdk.core.models import http
    from aws_xray_sdk.core.recorder import AWSXRayRecorder

    sent: list[Any] = []
    recorder = AWSXRayRecorder()
    recorder.configure(
        service="orders",
        sampling=False,
        context=Context(),
        emitter=SimpleNamespace(send_entity=sent.append),
        plugins=(),
    )
    segment = recorder.begin_segment("orders")
    segment.put_http_meta(http.URL, "http://orders.internal:8080/orders/42?expand=lines")
    segment.put_http_meta(http.METHOD, "GET")
    segment.put_http_meta(http.USER_AGENT, "python-httpx/0.28.1")
    segment.put_http_meta(http.CLIENT_IP, "10.0.3.17")
    for name, attributes in CHILDREN:
        (annotation, value), (key, metadata) = sdk_child_fields(attributes)
        subsegment = recorder.begin_subsegment(name)
        subsegment.put_annotation(annotation, value)
        subsegment.put_metadata(key, metadata)
    for _ in CHILDREN:
        recorder.end_subsegment()
    segment.put_http_meta(http.STATUS, 200)
    recorder.end_segment()
    (trace,) = sent
    return trace


def measure_against_sdk(number: int, repeat: int) -> dict[str, float]:
    """xraysink's export path for one request's 4 spans (``export_trace``) against its
    baseline, the X-Ray SDK's ``UDPEmitter.send_entity`` (serialize the segment with its
    subsegments + send) of the 4-entity trace its recorder makes for the same request
    (``sdk_trace``), each to a sink in another process. The two alternate, ``number``
    calls each per repeat, so that the host's load falls on both: µs per span and per
    entity (medians of the repeats) and the median of the per-repeat ratios."""
    from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

    ended = [span for kind, span in request_spans(operation_spans=False) if kind == "end"]
    segment = sdk_trace()
    entities = 1 + len(CHILDREN)
    ours_sink, sdk_sink = UdpSink(), UdpSink()
    ours_emitter = UDPDaemonEmitter(f"127.0.0.1:{ours_sink.port}")
    sdk_emitter = UDPEmitter(f"127.0.0.1:{sdk_sink.port}")
    ours_runs: list[float] = []
    sdk_runs: list[float] = []
    for index in range(repeat):
        # Each goes first every other repeat: neither always follows the other.
        for turn in (0, 1) if index % 2 == 0 else (1, 0):
            if turn == 0:
                ours_runs.append(
                    timeit.timeit(lambda: export_trace(ended, ours_emitter), number=number)
                )
            else:
                sdk_runs.append(
                    timeit.timeit(lambda: sdk_emitter.send_entity(segment), number=number)
                )
    ours_emitter.close()
    ours_received, sdk_received = ours_sink.stop(), sdk_sink.stop()
    return {
        "span_us": statistics.median(ours_runs) / number / len(ended) * 1e6,
        "sdk_entity_us": statistics.median(sdk_runs) / number / entities * 1e6,
        "ratio": statistics.median(
            (ours / len(ended)) / (sdk / entities)
            for ours, sdk in zip(ours_runs, sdk_runs, strict=True)
        ),
        "datagrams_sent": float(2 * number * repeat),
        "datagrams_received": float(ours_received["datagrams"] + sdk_received["datagrams"]),
        "sdk_entities_per_datagram": (
            sdk_received["sampled_entities"] / sdk_received["sampled"]
            if sdk_received["sampled"]
            else 0.0
        ),
    }


def live_request(provider: Any) -> Callable[[], None]:
    """One benchmarked request's live span tree on ``provider``: the SERVER span with
    ``SERVER_ATTRIBUTES`` and the route's 3 nested children, made and ended through the
    OpenTelemetry API as the request makes them."""
    from opentelemetry.trace import SpanKind

    tracer = provider.get_tracer("benchmarks")
    (first, first_attributes), (second, second_attributes), (third, third_attributes) = CHILDREN

    def request() -> None:
        with tracer.start_as_current_span(
            "GET /orders/{order_id}", kind=SpanKind.SERVER, attributes=SERVER_ATTRIBUTES
        ):
            with tracer.start_as_current_span(first, attributes=first_attributes):
                with tracer.start_as_current_span(second, attributes=second_attributes):
                    with tracer.start_as_current_span(third, attributes=third_attributes):
                        pass

    return request


def measure_processor(number: int, repeat: int) -> dict[str, float]:
    """The span processor's whole cost per span: live 4-span request trees made on a
    provider with ``XRaySpanProcessor`` attached (on_start + on_end + translate +
    serialize + send to a sink in another process, flushed), minus the same trees on
    the same kind of provider without it; against the X-Ray SDK's serialize + send
    (``UDPEmitter.send_entity``) of the 4-entity trace its recorder makes for the same
    request, per entity. The three alternate within each repeat (their order rotating);
    CPU µs of this process (``time.process_time``: a wall clock also counts the waits
    while the sinks' processes take the CPU, which fell on one side more than the
    other), medians of the repeats, and the median of the per-repeat ratios."""
    from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
    from opentelemetry.sdk.trace import TracerProvider

    from xraysink.propagation.ids import XRayIdGenerator

    spans = 1 + len(CHILDREN)
    ours_sink, sdk_sink = UdpSink(), UdpSink()
    emitter = UDPDaemonEmitter(f"127.0.0.1:{ours_sink.port}")
    processor = XRaySpanProcessor(emitter)
    with_processor = TracerProvider(resource=typical_resource(), id_generator=XRayIdGenerator())
    with_processor.add_span_processor(processor)
    without = TracerProvider(resource=typical_resource(), id_generator=XRayIdGenerator())
    sdk_emitter = UDPEmitter(f"127.0.0.1:{sdk_sink.port}")
    segment = sdk_trace()
    work = {
        "with": live_request(with_processor),
        "without": live_request(without),
        "sdk": lambda: sdk_emitter.send_entity(segment),
    }
    runs: dict[str, list[float]] = {name: [] for name in work}
    names = list(work)
    for index in range(repeat):
        for name in names[index % 3 :] + names[: index % 3]:
            runs[name].append(timeit.timeit(work[name], number=number, timer=time.process_time))
    processor.force_flush()
    emitter.close()
    ours_received, sdk_received = ours_sink.stop(), sdk_sink.stop()
    per_span = [
        (with_ - without) / number / spans * 1e6
        for with_, without in zip(runs["with"], runs["without"], strict=True)
    ]
    per_entity = [sdk / number / spans * 1e6 for sdk in runs["sdk"]]
    return {
        "span_us": statistics.median(per_span),
        "span_us_min": min(per_span),
        "span_us_max": max(per_span),
        "tree_without_us": statistics.median(runs["without"]) / number * 1e6,
        "sdk_entity_us": statistics.median(per_entity),
        "ratio": statistics.median(
            ours / sdk for ours, sdk in zip(per_span, per_entity, strict=True)
        ),
        "ratio_min": min(ours / sdk for ours, sdk in zip(per_span, per_entity, strict=True)),
        "ratio_max": max(ours / sdk for ours, sdk in zip(per_span, per_entity, strict=True)),
        "datagrams_sent": float(processor.stats["documents"] + number * repeat),
        "datagrams_received": float(ours_received["datagrams"] + sdk_received["datagrams"]),
        "dropped": float(processor.stats["dropped"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--show", action="store_true", help="print the document too")
    args = parser.parse_args(argv)
    number, repeat = (1000, 5) if args.quick else (2000, 9)
    if args.show:
        print(encode_documents(translate_span(typical_server_span())[0])[0].decode())
    results: dict[str, object] = dict(measure(number, repeat))
    # Each replayed request costs several times a lone on_end: fewer of them.
    requests = number // 4
    results["request_4_spans"] = measure_request(False, requests, repeat)
    results["request_7_spans"] = measure_request(True, requests, repeat)
    results["against_sdk"] = measure_against_sdk(requests, repeat)
    results["processor"] = measure_processor(requests, repeat)
    json.dump(results, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
