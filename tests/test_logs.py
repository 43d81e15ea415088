"""``xraysink.logs``: X-Ray ids on log records, with a real SDK tracer (no global
provider needed: the current span lives in the context)."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import os
import queue
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

import xraysink.logs
from xraysink.logs import NO_TRACE, TraceIdFilter
from xraysink.propagation.ids import XRayIdGenerator
from xraysink.receiver import Receiver

tracer = TracerProvider(id_generator=XRayIdGenerator()).get_tracer(__name__)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"message": record.getMessage()}
        line.update({k: record.__dict__[k] for k in ("traceId", "spanId") if k in record.__dict__})
        return json.dumps(line)


def xray_ids(span: trace.Span) -> tuple[str, str]:
    context = span.get_span_context()
    hex_id = format(context.trace_id, "032x")
    return f"1-{hex_id[:8]}-{hex_id[8:]}", format(context.span_id, "016x")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """JSON lines of the ``app`` logger tree, through a handler on ``app`` only."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        xraysink.logs.uninstall()


def parsed(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_install_stamps_child_loggers_inside_a_trace_only(lines: io.StringIO) -> None:
    xraysink.logs.install()
    xraysink.logs.install()
    child = logging.getLogger("app.orders.db")
    child.info("before")
    with tracer.start_as_current_span("request") as request:
        child.info("in request")
        with tracer.start_as_current_span("query") as query:
            child.info("in query")
    child.info("after")
    before, in_request, in_query, after = parsed(lines)
    assert before == {"message": "before"} and after == {"message": "after"}
    trace_id, request_id = xray_ids(request)
    assert in_request == {"message": "in request", "traceId": trace_id, "spanId": request_id}
    assert in_query["traceId"] == trace_id
    assert in_query["spanId"] == xray_ids(query)[1]
    assert trace_id.startswith("1-") and len(trace_id) == 35


def test_uninstall_stops_stamping(lines: io.StringIO) -> None:
    xraysink.logs.install()
    xraysink.logs.uninstall()
    with tracer.start_as_current_span("request"):
        logging.getLogger("app").info("plain")
    assert parsed(lines) == [{"message": "plain"}]


def test_records_are_stamped_where_made_so_a_queue_listener_keeps_them(
    lines: io.StringIO,
) -> None:
    xraysink.logs.install()
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    handler = logging.StreamHandler(io.StringIO())
    listener = logging.handlers.QueueListener(records, handler)
    queued = logging.getLogger("queued")
    queued.addHandler(logging.handlers.QueueHandler(records))
    seen: list[str] = []
    handler.addFilter(lambda record: seen.append(getattr(record, "traceId", "-")) or True)
    listener.start()
    try:
        with tracer.start_as_current_span("request") as span:
            queued.warning("from the request")
    finally:
        listener.stop()
        queued.handlers.clear()
    assert seen == [xray_ids(span)[0]]


def test_filter_on_a_handler_and_formatter_defaults_outside_a_trace() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TraceIdFilter())
    handler.setFormatter(logging.Formatter("%(traceId)s %(spanId)s %(message)s", defaults=NO_TRACE))
    logger = logging.getLogger("filtered")
    logger.addHandler(handler)
    try:
        logging.getLogger("filtered.child").warning("outside")
        with tracer.start_as_current_span("request") as span:
            logging.getLogger("filtered.child").warning("inside")
    finally:
        logger.removeHandler(handler)
    trace_id, span_id = xray_ids(span)
    assert stream.getvalue().splitlines() == ["- - outside", f"{trace_id} {span_id} inside"]


def test_unsampled_span_still_gives_its_ids() -> None:
    context = SpanContext(
        trace_id=0x6B0369F26746D2090518C588_72DE96FF,
        span_id=0x53995C3F42CD8AD8,
        is_remote=False,
        trace_flags=TraceFlags(0),
    )
    with trace.use_span(NonRecordingSpan(context)):
        fields = xraysink.logs.trace_fields()
    assert fields == {
        "traceId": "1-6b0369f2-6746d2090518c58872de96ff",
        "spanId": "53995c3f42cd8ad8",
    }


def test_a_broken_current_span_never_breaks_logging(lines: io.StringIO) -> None:
    class Broken(NonRecordingSpan):
        def get_span_context(self) -> SpanContext:
            raise RuntimeError("broken span")

    xraysink.logs.install()
    with trace.use_span(Broken(trace.INVALID_SPAN_CONTEXT)):
        logging.getLogger("app").info("still logged")
    assert parsed(lines) == [{"message": "still logged"}]


def test_json_example_lines_match_the_documents_sent(receiver: Receiver) -> None:
    example = Path(__file__).parent.parent / "examples" / "logging_json.py"
    done = subprocess.run(
        [sys.executable, str(example)],
        env={**os.environ, "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{receiver.port}"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    starting, placed, charged = (json.loads(line) for line in done.stdout.splitlines())
    assert "traceId" not in starting and "spanId" not in starting
    receiver.wait_for(lambda documents: len(documents) >= 1, 10)
    (document,) = receiver.documents
    assert document["aws"]["cloudwatch_logs"] == [{"log_group": "/ecs/orders"}]
    assert placed["traceId"] == charged["traceId"] == document["trace_id"]
    assert placed["spanId"] == document["id"]
    assert [child["id"] for child in document["subsegments"]] == [charged["spanId"]]
