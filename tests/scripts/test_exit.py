"""A script or worker exits with everything it recorded sent, with no explicit flush:
jobs run in a thread pool, each its own trace, and a long-lived root (the worker's
loop) still open at exit, whose ended children were waiting to be embedded in it."""

from __future__ import annotations

import json

import pytest

from tests.e2e.xray import by_name, entities_of
from tests.scripts import run_isolated
from xraysink.receiver.server import Receiver

RECORDER = """
from aws_xray_sdk.core import xray_recorder
from xraysink.context import AsyncContext
xray_recorder.configure(service="worker", sampling=False, context=AsyncContext())

def job(number):
    with xray_recorder.in_segment(f"job {number}"):
        with xray_recorder.in_subsegment("step") as step:
            step.put_annotation("job", number)

def open_loop():
    xray_recorder.begin_segment("worker loop")
    for number in range(3):
        with xray_recorder.in_subsegment(f"batch {number}"):
            pass
    return xray_recorder.current_segment().trace_id
"""

OTEL_FIRST = """
import xraysink
from opentelemetry import trace
xraysink.configure(service="worker", indexed_attributes=["job"])
tracer = trace.get_tracer("worker")

def job(number):
    with tracer.start_as_current_span(f"job {number}"):
        with tracer.start_as_current_span("step", attributes={"job": number}):
            pass

def open_loop():
    loop = tracer.start_span("worker loop")
    with trace.use_span(loop):
        for number in range(3):
            with tracer.start_as_current_span(f"batch {number}"):
                pass
    digits = format(loop.get_span_context().trace_id, "032x")
    return f"1-{digits[:8]}-{digits[8:]}"
"""

WORK = """
import json
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(4) as pool:
    list(pool.map(job, range(20)))
print(json.dumps(open_loop()))
"""


@pytest.mark.parametrize("setup", [RECORDER, OTEL_FIRST], ids=["recorder", "otel-first"])
def test_everything_recorded_is_sent_at_exit(receiver: Receiver, setup: str) -> None:
    result = run_isolated(setup + WORK, AWS_XRAY_DAEMON_ADDRESS=receiver.address)
    assert result.returncode == 0, result.stderr
    loop_trace = json.loads(result.stdout)
    # The process has exited: whatever it did not send is lost for good.
    receiver.wait_quiet(0.3)
    entities = entities_of(receiver.documents, None)
    for number in range(20):
        (job,) = by_name(entities, f"job {number}")
        (step,) = [e for e in by_name(entities, "step") if e["_parent"] == job["id"]]
        assert step["annotations"] == {"job": number}
    batches = [e for e in entities if e["name"].startswith("batch ")]
    assert sorted(e["name"] for e in batches) == ["batch 0", "batch 1", "batch 2"]
    assert {e["_trace"] for e in batches} == {loop_trace}
    assert by_name(entities, "worker loop") == []
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids))
