"""The X-Ray API emitter against moto (server mode) and a scripted local endpoint.

Spans are made with a real TracerProvider and XRaySpanProcessor; documents are found
again with BatchGetTraces / GetTraceSummaries, or in what the scripted endpoint
accepted. Nothing here leaves 127.0.0.1: instance metadata is disabled, credentials
are fake, and every endpoint is local.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import set_span_in_context

from tests.emitters.xray_api_servers import Answer, fake_xray, moto_xray
from tests.scripts import run_python
from tests.servers import ROOT
from tests.waiting import wait_until
from xraysink.emitters.xray_api import XRayAPIEmitter
from xraysink.export.processor import XRaySpanProcessor
from xraysink.propagation.ids import XRayIdGenerator

LOGGER = "xraysink.emitters.xray_api"
#: Long enough that only force_flush, shutdown or a full call's worth make the sender send.
IDLE = 60.0


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_xray() as url:
        yield url


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region; no AWS config files and no instance metadata."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


def pipeline(emitter: XRayAPIEmitter) -> tuple[TracerProvider, XRaySpanProcessor]:
    processor = XRaySpanProcessor(emitter)
    provider = TracerProvider(id_generator=XRayIdGenerator(), shutdown_on_exit=False)
    provider.add_span_processor(processor)
    return provider, processor


def xray_id(trace_id: int) -> str:
    text = format(trace_id, "032x")
    return f"1-{text[:8]}-{text[8:]}"


def burst(provider: TracerProvider, traces: int, children: int = 0) -> dict[str, list[str]]:
    """``traces`` traces of a root and ``children`` child spans (the last one ending
    after its root, so it leaves as a document of its own); returns the span ids of
    each X-Ray trace id."""
    tracer = provider.get_tracer("burst")
    made: dict[str, list[str]] = {}
    for _ in range(traces):
        root = tracer.start_span("root")
        context = root.get_span_context()
        ids = [format(context.span_id, "016x")]
        inside = set_span_in_context(root)
        late = None
        for number in range(children):
            child = tracer.start_span(f"child {number}", context=inside)
            ids.append(format(child.get_span_context().span_id, "016x"))
            if number == children - 1:
                late = child
            else:
                child.end()
        root.end()
        if late is not None:
            late.end()
        made[xray_id(context.trace_id)] = ids
    return made


def roots(provider: TracerProvider, count: int) -> list[str]:
    """Span ids of ``count`` one-span traces (one document each)."""
    return [ids[0] for ids in burst(provider, count).values()]


def entity_ids(document: dict[str, Any]) -> Iterator[str]:
    yield document["id"]
    for child in document.get("subsegments", ()):
        yield from entity_ids(child)


def stored(endpoint: str, trace_ids: list[str]) -> dict[str, list[str]]:
    """Entity ids (repeats kept) of each trace moto holds, by trace id."""
    client = botocore.session.Session().create_client(
        "xray", region_name="us-east-1", endpoint_url=endpoint
    )
    found: dict[str, list[str]] = {}
    for start in range(0, len(trace_ids), 5):
        reply = client.batch_get_traces(TraceIds=trace_ids[start : start + 5])
        for trace in reply["Traces"]:
            found[trace["Id"]] = sorted(
                entity
                for segment in trace["Segments"]
                for entity in entity_ids(json.loads(segment["Document"]))
            )
    return found


def drops_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelname == "WARNING"]


def test_a_burst_of_traces_is_found_again_with_batch_get_traces(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_XRAY", moto_url)
    provider, processor = pipeline(XRayAPIEmitter())
    made = burst(provider, 200, children=3)
    assert provider.force_flush(30_000)
    # Two documents a trace: the root with two children embedded, and the late child.
    assert processor.stats["documents"] == 400
    assert processor.stats["api_documents"] == 400
    assert processor.stats["api_calls"] >= 8
    assert stored(moto_url, list(made)) == {trace: sorted(ids) for trace, ids in made.items()}
    client = botocore.session.Session().create_client(
        "xray", region_name="us-east-1", endpoint_url=moto_url
    )
    now = int(time.time())
    summaries = client.get_trace_summaries(StartTime=now - 600, EndTime=now + 600)
    assert set(made) <= {summary["Id"] for summary in summaries["TraceSummaries"]}
    provider.shutdown()


def test_calls_carry_at_most_50_documents_and_go_out_without_a_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_xray() as (url, fake):
        # botocore's own endpoint variable for every service.
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        provider, processor = pipeline(XRayAPIEmitter(interval_seconds=0.2))
        ids = roots(provider, 175)
        wait_until(lambda: len(fake.ids()) >= 175, timeout=20)
        assert sorted(fake.ids()) == sorted(ids)
        assert max(fake.calls) <= 50
        assert sum(fake.calls) == 175
        assert processor.stats["api_calls"] == len(fake.calls)
        provider.shutdown()


def test_throttling_and_5xx_are_retried_within_the_bound() -> None:
    answers = (
        Answer(429, "ThrottledException"),
        Answer(400, "ThrottledException"),
        Answer(500, "InternalFailure"),
    )
    with fake_xray(*answers) as (url, fake):
        provider, processor = pipeline(
            XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE, max_attempts=4)
        )
        ids = roots(provider, 30)
        assert provider.force_flush(30_000)
        assert sorted(fake.ids()) == sorted(ids)
        assert fake.calls == [30, 30, 30, 30]
        stats = processor.stats
        assert stats["api_retried_ThrottledException"] == 60
        assert stats["api_retried_InternalFailure"] == 30
        assert (stats["api_calls"], stats["api_documents"], stats["dropped"]) == (4, 30, 0)
        provider.shutdown()


def test_failures_past_the_bound_are_counted_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    with fake_xray(*[Answer(503, "ServiceUnavailable")] * 4) as (url, fake):
        provider, processor = pipeline(
            XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE, max_attempts=2)
        )
        roots(provider, 20)
        assert provider.force_flush(30_000)
        roots(provider, 10)
        assert provider.force_flush(30_000)
        assert fake.ids() == []
        assert processor.stats["dropped_api_ServiceUnavailable"] == 30
        assert processor.stats["api_retried_ServiceUnavailable"] == 30
        assert processor.stats["dropped"] == 30
        (message,) = drops_logged(caplog)
        assert "dropped_api_ServiceUnavailable" in message
        # The endpoint works again: later documents arrive.
        later = roots(provider, 5)
        assert provider.force_flush(30_000)
        assert sorted(fake.ids()) == sorted(later)
        provider.shutdown()


def test_a_slow_answer_times_out_and_is_retried() -> None:
    with fake_xray(Answer(delay=1.5)) as (url, fake):
        provider, processor = pipeline(
            XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE, read_timeout=0.5)
        )
        ids = roots(provider, 12)
        assert provider.force_flush(30_000)
        assert sorted(fake.ids()) == sorted(ids)
        assert processor.stats["api_retried_timeout"] == 12
        assert processor.stats["dropped"] == 0
        provider.shutdown()


def test_unprocessed_documents_are_retried_when_the_error_is_retryable() -> None:
    answers = (Answer(unprocessed=(10, "ThrottledException")), Answer(unprocessed=(3, "Invalid")))
    with fake_xray(*answers) as (url, fake):
        provider, processor = pipeline(XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE))
        ids = roots(provider, 30)
        assert provider.force_flush(30_000)
        # The second call resends the 10 throttled ones; 3 of them come back invalid.
        assert fake.calls == [30, 10]
        accepted = fake.ids()
        assert len(accepted) == len(set(accepted)) == 27
        assert set(accepted) < set(ids)
        stats = processor.stats
        assert stats["api_retried_ThrottledException"] == 10
        assert stats["dropped_api_Invalid"] == 3
        assert stats["api_documents"] == 27
        provider.shutdown()


def test_an_unreachable_endpoint_never_reaches_the_app(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    caplog.set_level(logging.WARNING, LOGGER)
    emitter = XRayAPIEmitter(
        endpoint_url=f"http://127.0.0.1:{port}", interval_seconds=IDLE, max_attempts=3
    )
    provider, processor = pipeline(emitter)
    roots(provider, 8)
    assert provider.force_flush(30_000)
    assert processor.stats["api_retried_connection"] == 16
    assert processor.stats["dropped_api_connection"] == 8
    assert ["dropped_api_connection" in message for message in drops_logged(caplog)] == [True]
    provider.shutdown()


def test_missing_credentials_are_counted_and_sending_resumes_once_they_work(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with fake_xray() as (url, fake):
        provider, processor = pipeline(XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE))
        roots(provider, 7)
        assert provider.force_flush(30_000)
        roots(provider, 3)
        assert provider.force_flush(30_000)
        assert fake.calls == []
        assert processor.stats["dropped_api_credentials"] == 10
        (message,) = drops_logged(caplog)
        assert "credentials" in message
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        later = roots(provider, 4)
        assert provider.force_flush(30_000)
        assert sorted(fake.ids()) == sorted(later)
        provider.shutdown()


def test_expired_credentials_are_counted_and_sending_resumes() -> None:
    with fake_xray(Answer(403, "ExpiredTokenException")) as (url, fake):
        provider, processor = pipeline(XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE))
        roots(provider, 6)
        assert provider.force_flush(30_000)
        assert processor.stats["dropped_api_credentials"] == 6
        later = roots(provider, 6)
        assert provider.force_flush(30_000)
        assert sorted(fake.ids()) == sorted(later)
        assert fake.calls == [6, 6]
        provider.shutdown()


def test_the_queue_is_bounded_by_count_and_by_bytes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    with fake_xray() as (url, fake):
        emitter = XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE, max_queue_documents=10)
        provider, processor = pipeline(emitter)
        ids = roots(provider, 15)
        assert processor.stats["dropped_api_queue_full"] == 5
        assert processor.stats["dropped"] == 5
        assert provider.force_flush(30_000)
        assert sorted(fake.ids()) == sorted(ids[:10])
        (message,) = drops_logged(caplog)
        assert "dropped_api_queue_full" in message

        by_bytes = XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE, max_queue_bytes=1000)
        document = json.dumps({"id": "0" * 16, "pad": "x" * 380}).encode()
        for _ in range(5):
            by_bytes.send(document)
        assert by_bytes.stats["dropped_api_queue_full"] == 3
        assert by_bytes.force_flush(30_000)
        assert fake.calls[-1] == 2
        provider.shutdown()
        by_bytes.shutdown()


def test_force_flush_gives_up_at_its_timeout() -> None:
    with fake_xray(Answer(delay=2.0)) as (url, _):
        emitter = XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE)
        provider, _ = pipeline(emitter)
        roots(provider, 3)
        started = time.monotonic()
        assert not provider.force_flush(300)
        assert time.monotonic() - started < 1.5
        assert provider.force_flush(30_000)
        provider.shutdown()


def test_shutdown_sends_what_is_queued_then_drops_later_documents() -> None:
    with fake_xray() as (url, fake):
        emitter = XRayAPIEmitter(endpoint_url=url, interval_seconds=IDLE)
        provider, processor = pipeline(emitter)
        ids = roots(provider, 9)
        provider.shutdown()
        assert sorted(fake.ids()) == sorted(ids)
        emitter.send(b'{"id":"0000000000000001"}')
        assert processor.stats["dropped_api_shutdown"] == 1


def test_bad_configuration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(ValueError, match="AWS_REGION"):
        XRayAPIEmitter()
    with pytest.raises(ValueError, match="max_queue_documents"):
        XRayAPIEmitter(region_name="eu-west-1", max_queue_documents=0)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert XRayAPIEmitter().region_name == "eu-west-1"


def run(code: str, env: dict[str, str]) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter with this worktree first on the path; it
    prints one JSON object last."""
    done = run_python(code, {**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    result["stderr"] = done.stderr
    return result


INSTRUMENTED = """
    import json, logging, os, time
    mode = os.environ["INSTRUMENT"]
    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append(f"{record.name} {record.levelname} {record.getMessage()}")
    logging.getLogger().addHandler(Keep(logging.WARNING))

    import botocore.session
    import xraysink
    from opentelemetry import trace
    from xraysink.emitters.xray_api import XRayAPIEmitter

    provider = xraysink.configure("emitter-test", emitter=XRayAPIEmitter(interval_seconds=0.2))
    if mode in ("otel", "both"):
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
        BotocoreInstrumentor().instrument()
    if mode in ("xray", "both"):
        from aws_xray_sdk.core import patch
        patch(["botocore"])
    app_client = botocore.session.Session().create_client("xray", region_name="us-east-1")
    tracer = trace.get_tracer("app")
    with tracer.start_as_current_span("request") as request:
        app_client.get_trace_summaries(StartTime=0, EndTime=1)
    for number in range(4):
        with tracer.start_as_current_span(f"job {number}"):
            pass
    assert provider.force_flush(30_000)
    time.sleep(1.0)  # the sender's idle ticks: any span they made would end here
    assert provider.force_flush(30_000)
    stats = dict(xraysink.span_processor().stats)
    trace_id = format(request.get_span_context().trace_id, "032x")
    print(json.dumps({"stats": stats, "logs": records, "trace_id": trace_id}))
"""


@pytest.mark.parametrize("mode", ["none", "otel", "xray", "both"])
def test_the_emitters_own_calls_are_never_traced(moto_url: str, mode: str) -> None:
    result = run(INSTRUMENTED, {"AWS_ENDPOINT_URL_XRAY": moto_url, "INSTRUMENT": mode})
    stats = result["stats"]
    # The app's call is traced once per installed instrumentation; the emitter's none.
    app_call_spans = {"none": 0, "otel": 1, "xray": 1, "both": 2}[mode]
    assert stats["spans"] == 5 + app_call_spans
    assert stats["api_documents"] == stats["documents"] == 5
    assert stats["api_calls"] >= 1
    assert result["logs"] == []
    trace_id = xray_id(int(result["trace_id"], 16))
    found = stored(moto_url, [trace_id])[trace_id]
    assert len(found) == 1 + app_call_spans


# Forking a process that runs threads is the case under test (gunicorn's, uvicorn's).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize(
    ("interval", "traces"), [(IDLE, 20), (0.01, 150)], ids=["queued_at_fork", "sending_at_fork"]
)
def test_a_forked_child_sends_its_own_documents_once(
    moto_url: str, interval: float, traces: int
) -> None:
    provider, processor = pipeline(XRayAPIEmitter(endpoint_url=moto_url, interval_seconds=interval))
    parent_made = burst(provider, traces, children=2)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            os.close(read)
            child_made = burst(provider, 15, children=2)
            flushed = provider.force_flush(30_000)
            os.write(write, json.dumps({"made": child_made, "flushed": flushed}).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = json.loads(pipe.read())
    assert os.waitpid(pid, 0)[1] == 0
    assert child["flushed"]
    assert provider.force_flush(30_000)
    assert processor.stats["api_documents"] == 2 * traces
    made = {**parent_made, **child["made"]}
    assert len(made) == traces + 15
    assert stored(moto_url, list(made)) == {trace: sorted(ids) for trace, ids in made.items()}
    provider.shutdown()


EXITING = """
    import json, os
    from opentelemetry.sdk.trace import TracerProvider
    from xraysink.emitters.xray_api import XRayAPIEmitter
    from xraysink.propagation.ids import XRayIdGenerator
    from xraysink.export.processor import XRaySpanProcessor

    on_exit = os.environ["ON_EXIT"] == "True"
    provider = TracerProvider(id_generator=XRayIdGenerator(), shutdown_on_exit=on_exit)
    provider.add_span_processor(XRaySpanProcessor(XRayAPIEmitter(interval_seconds=600)))
    tracer = provider.get_tracer("exit")
    ids = []
    for _ in range(30):
        with tracer.start_as_current_span("before exit") as span:
            pass
        ids.append(format(span.get_span_context().trace_id, "032x"))
    print(json.dumps({"trace_ids": ids}))
"""


@pytest.mark.parametrize("on_exit", [True, False], ids=["provider_shutdown", "emitter_alone"])
def test_documents_queued_at_interpreter_exit_arrive(moto_url: str, on_exit: bool) -> None:
    result = run(EXITING, {"AWS_ENDPOINT_URL_XRAY": moto_url, "ON_EXIT": str(on_exit)})
    trace_ids = [xray_id(int(trace_id, 16)) for trace_id in result["trace_ids"]]
    found = stored(moto_url, trace_ids)
    assert sorted(found) == sorted(trace_ids)
    assert Counter(len(ids) for ids in found.values()) == {1: 30}
