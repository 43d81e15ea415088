"""``xray_recorder.begin_segment``/``end_segment`` outside any request (scripts,
workers): a new trace, or the caller's trace when ids are given, sent once, by the
span processor. Each script runs in a fresh interpreter (one global provider)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.xray import by_name, new_root, wait_for_trace
from tests.scripts import run_isolated
from xraysink.receiver.server import Receiver

RECORDER = """
from aws_xray_sdk.core import xray_recorder
from xraysink.context import AsyncContext
xray_recorder.configure(service="worker", sampling=False, context=AsyncContext(),
                        daemon_address="{address}")
"""
OTEL_FIRST = """
import xraysink
xraysink.configure(service="worker", daemon_address="{address}")
from aws_xray_sdk.core import xray_recorder
"""

SCRIPT = """
import json
from opentelemetry import trace

def ids(entity):
    return {{"trace_id": entity.trace_id, "id": entity.id, "sampled": entity.sampled}}

segment = xray_recorder.begin_segment("nightly job")
segment.put_annotation("run", 7)
with xray_recorder.in_subsegment("step") as step:
    step.put_metadata("rows", 3)
    with trace.get_tracer("t").start_as_current_span("otel step"):
        pass
xray_recorder.end_segment()
continued = xray_recorder.begin_segment("consumer", traceid="{root}",
                                         parent_id="53995c3f42cd8ad8", sampling=1)
xray_recorder.end_segment()
skipped = xray_recorder.begin_segment("skipped", sampling=0)
with xray_recorder.in_subsegment("unsampled step") as unsampled_step:
    pass
xray_recorder.end_segment()
print(json.dumps({{"segment": ids(segment), "step": ids(step), "continued": ids(continued),
                  "skipped": ids(skipped), "unsampled_step": ids(unsampled_step)}}))
"""


@pytest.mark.parametrize("setup", [RECORDER, OTEL_FIRST], ids=["recorder", "otel-first"])
def test_segments_outside_requests(receiver: Receiver, setup: str) -> None:
    root = new_root()
    result = run_isolated((setup + SCRIPT).format(address=receiver.address, root=root))
    assert result.returncode == 0, result.stderr
    # The recorder never looked for a segment that was not there.
    assert "cannot find the current segment" not in result.stderr
    seen = json.loads(result.stdout)

    trace_id = seen["segment"]["trace_id"]
    entities = wait_for_trace(receiver, trace_id, 3)
    (segment,) = by_name(entities, "nightly job")
    assert segment["id"] == seen["segment"]["id"] and "parent_id" not in segment
    assert segment["annotations"] == {"run": 7}
    (step,) = by_name(entities, "step")
    assert step["_parent"] == segment["id"] and step["id"] == seen["step"]["id"]
    assert step["metadata"]["default"]["rows"] == 3
    (otel_step,) = by_name(entities, "otel step")
    assert otel_step["_parent"] == step["id"]

    (continued,) = wait_for_trace(receiver, root, 1)
    assert continued["name"] == "consumer" and continued["parent_id"] == "53995c3f42cd8ad8"
    assert seen["continued"] == {"trace_id": root, "id": continued["id"], "sampled": True}

    # Not sampled: real ids all the same (never 1-00000000-...), and nothing sent.
    skipped = seen["skipped"]
    assert skipped["sampled"] is False and skipped["trace_id"] != "1-" + "0" * 8 + "-" + "0" * 24
    assert seen["unsampled_step"]["trace_id"] == skipped["trace_id"]
    assert seen["unsampled_step"]["sampled"] is False
    receiver.wait_quiet(0.3)
    assert all(doc.get("trace_id") != skipped["trace_id"] for doc in receiver.documents)
    assert len(receiver.documents) == 2


def test_patch_all_calls_land_in_the_trace(receiver: Receiver) -> None:
    result = run_isolated(
        f"""
        import http.server, sqlite3, threading
        import requests
        import xraysink
        xraysink.configure(service="worker", daemon_address="{receiver.address}")
        from aws_xray_sdk.core import patch_all, xray_recorder
        patch_all()

        class Ok(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(204)
                self.end_headers()
            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with xray_recorder.in_segment("batch") as segment:
            database = sqlite3.connect(":memory:")
            database.cursor().execute("select 1").fetchall()
            requests.get(f"http://127.0.0.1:{{server.server_address[1]}}/ping", timeout=10)
        print(segment.trace_id)
        """
    )
    assert result.returncode == 0, result.stderr
    trace_id = result.stdout.strip()
    entities = wait_for_trace(
        receiver, trace_id, 3, until=lambda found: any(e.get("sql") for e in found)
    )
    (segment,) = by_name(entities, "batch")
    (query,) = [e for e in entities if e.get("sql")]
    calls = [e for e in entities if e.get("http", {}).get("request", {}).get("url", "")]
    assert query["_parent"] == segment["id"] and query["namespace"] == "remote"
    assert all(call["_parent"] == segment["id"] for call in calls)
    # patch_all() patches requests (httplib only with double_patch=True, as in the SDK).
    (call,) = calls
    assert call["http"]["request"]["url"].endswith("/ping") and call["namespace"] == "remote"


def test_subsegments_under_spans_of_another_implementation(receiver: Receiver) -> None:
    root = new_root()
    result = run_isolated(
        f"""
        import json
        import xraysink
        xraysink.configure(service="worker", daemon_address="{receiver.address}")
        from aws_xray_sdk.core import xray_recorder
        from opentelemetry import context, trace
        from xraysink.propagation.keys import SPAN_KEY

        class OtherSpan(trace.NonRecordingSpan):
            "A Span subclass: the bridge reads it through the public API."

        parent = OtherSpan(trace.SpanContext(
            int("{root[2:].replace("-", "")}", 16), 0x53995C3F42CD8AD8, False,
            trace.TraceFlags(trace.TraceFlags.SAMPLED)))
        token = context.attach(trace.set_span_in_context(parent))
        with xray_recorder.in_subsegment("under another span") as subsegment:
            pass
        context.detach(token)
        context.attach(context.Context({{SPAN_KEY: "not a span"}}))
        print(json.dumps({{"parent_id": subsegment.parent_id,
                          "orphan": xray_recorder.begin_subsegment("orphan") is None}}))
        """
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {"parent_id": "53995c3f42cd8ad8", "orphan": True}
    (subsegment,) = wait_for_trace(receiver, root, 1)
    assert subsegment["name"] == "under another span"
    assert subsegment["parent_id"] == "53995c3f42cd8ad8"
    # A context value that is no span: no current entity, as with nothing current.
    assert "No segment found, cannot begin subsegment orphan." in result.stderr


SPANLESS = """
import json
from opentelemetry import trace
with xray_recorder.in_segment("job") as segment:
    with xray_recorder.in_subsegment("outer") as outer:
        outer.put_annotation("level", 1)
        with trace.get_tracer("t").start_as_current_span("otel inside"):
            with xray_recorder.in_subsegment("inner") as inner:
                inner.put_metadata("rows", 2)
                try:
                    with xray_recorder.in_subsegment("failing"):
                        raise ValueError("boom")
                except ValueError:
                    pass
print(json.dumps({{"trace_id": segment.trace_id, "ids": [outer.id, inner.id]}}))
"""


def test_recorder_subsegments_are_embedded_in_one_document(receiver: Receiver) -> None:
    # Under the 1.6.2 call sites the recorder's subsegments are no spans: their
    # documents are embedded in the segment's all the same, one datagram for all.
    result = run_isolated((RECORDER + SPANLESS).format(address=receiver.address))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    entities = wait_for_trace(receiver, seen["trace_id"], 5)
    receiver.wait_quiet(0.3)
    assert len([d for d in receiver.documents if d.get("trace_id") == seen["trace_id"]]) == 1
    (segment,) = by_name(entities, "job")
    (outer,) = by_name(entities, "outer")
    (otel,) = by_name(entities, "otel inside")
    (inner,) = by_name(entities, "inner")
    (failing,) = by_name(entities, "failing")
    assert [outer["id"], inner["id"]] == seen["ids"]
    assert outer["_parent"] == segment["id"] and outer["namespace"] == "local"
    assert outer["annotations"] == {"level": 1}
    assert otel["_parent"] == outer["id"]
    assert inner["_parent"] == otel["id"] and inner["metadata"]["default"] == {"rows": 2}
    assert failing["_parent"] == inner["id"] and failing["fault"] is True
    assert failing["cause"]["exceptions"][0]["type"] == "ValueError"
    assert {"type", "trace_id", "parent_id"}.isdisjoint(outer)


def test_configure_after_the_recorder_makes_subsegments_spans_again(receiver: Receiver) -> None:
    # OpenTelemetry first from then on: a span processor the application adds sees them.
    result = run_isolated(
        RECORDER.format(address=receiver.address)
        + f"""
import xraysink
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
provider = xraysink.configure(service="worker", daemon_address="{receiver.address}")
exporter = InMemorySpanExporter()
provider.add_span_processor(SimpleSpanProcessor(exporter))
with xray_recorder.in_segment("job"):
    with xray_recorder.in_subsegment("step"):
        pass
print(sorted(span.name for span in exporter.get_finished_spans()))
"""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['job', 'step']"
