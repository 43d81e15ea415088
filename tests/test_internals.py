"""Each fast path of ``xraysink._internals`` is taken for the real OpenTelemetry SDK
objects it was written for: these fail when an SDK release changes a private layout
and the fast path silently stops being taken (the public fallback still works)."""

from __future__ import annotations

import http.client

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from tests.scripts import run_python
from xraysink._internals import (
    CONTEXT_OF,
    CONTEXT_TYPES,
    START_FIELDS,
    SUPPRESS_KEYS,
    fast_path_taken,
    tracing_suppressed,
    untraced_context,
)
from xraysink._types import ATTRIBUTES, END_TIME, EVENTS, NAME
from xraysink.propagation.keys import span_context_of
from xraysink.receiver import Receiver
from xraysink.translate.spandata import read_span


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.ended: list[ReadableSpan] = []
        self.started: list[Span] = []

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.started.append(span)

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def _finished_span() -> tuple[ReadableSpan, _Collect]:
    provider = TracerProvider()
    collect = _Collect()
    provider.add_span_processor(collect)
    with provider.get_tracer("t").start_as_current_span(
        "op", kind=SpanKind.SERVER, attributes={"http.method": "GET"}
    ) as span:
        span.add_event("e")
    return collect.ended[0], collect


def test_span_context_fast_path_for_sdk_and_api_spans() -> None:
    provider = TracerProvider()
    with provider.get_tracer("t").start_as_current_span("op") as span:
        assert type(span) in CONTEXT_TYPES
        assert CONTEXT_OF(span) is span.get_span_context()
    remote = SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(1))
    assert NonRecordingSpan in CONTEXT_TYPES
    assert span_context_of(NonRecordingSpan(remote)) is remote
    assert span_context_of(object()).is_valid is False


def test_start_fields_fast_path_reads_the_started_span() -> None:
    ended, collect = _finished_span()
    started = collect.started[0]
    context, parent, kind, start = START_FIELDS(started)
    assert (context, parent, kind, start) == (
        ended.context,
        None,
        SpanKind.SERVER,
        ended.start_time,
    )


def test_read_span_fast_path_is_taken_and_matches_the_public_reads() -> None:
    span, _ = _finished_span()
    assert fast_path_taken(span)
    fast = read_span(span)
    assert fast[ATTRIBUTES] == dict(span.attributes or {})
    assert [event.name for event in fast[EVENTS]] == ["e"]
    assert fast[NAME] == span.name and fast[END_TIME] == span.end_time


def test_read_span_takes_the_public_path_for_other_span_types() -> None:
    span, _ = _finished_span()

    class Other(ReadableSpan):
        pass

    other = Other(
        name=span.name,
        context=span.context,
        attributes=span.attributes,
        events=span.events,
        start_time=span.start_time,
        end_time=span.end_time,
    )
    assert not fast_path_taken(other)
    assert read_span(other)[ATTRIBUTES] == {"http.method": "GET"}


def test_http_client_still_has_the_method_the_httplib_header_wraps() -> None:
    assert callable(getattr(http.client.HTTPConnection, "_send_request", None))


def test_an_sdk_without_its_private_span_class_still_traces(receiver: Receiver) -> None:
    # An OpenTelemetry SDK release that renamed _Span must not break import xraysink:
    # every span then takes the public path.
    result = run_python(
        f"""
        import opentelemetry.sdk.trace as sdk_trace
        renamed = sdk_trace._Span
        del sdk_trace._Span
        import xraysink, xraysink._internals, xraysink.pipeline
        sdk_trace._Span = renamed  # the SDK itself still needs its class
        from opentelemetry import trace
        assert xraysink._internals.CONTEXT_TYPES == {{trace.NonRecordingSpan}}
        xraysink.configure(service="renamed", daemon_address="{receiver.address}")
        with trace.get_tracer("t").start_as_current_span("root", kind=trace.SpanKind.SERVER):
            with trace.get_tracer("t").start_as_current_span("child"):
                pass
        """
    )
    assert result.returncode == 0, result.stderr
    assert receiver.wait_for(lambda docs: len(docs) >= 1, 10.0)
    (segment,) = receiver.documents
    assert segment["name"] == "renamed"
    assert [sub["name"] for sub in segment["subsegments"]] == ["child"]


def test_untraced_context_turns_instrumentations_off() -> None:
    from opentelemetry import context as otel_context
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled

    assert len(SUPPRESS_KEYS) == 2
    assert is_instrumentation_enabled() and not tracing_suppressed()
    token = otel_context.attach(untraced_context())
    try:
        assert not is_instrumentation_enabled()
        assert tracing_suppressed()
    finally:
        otel_context.detach(token)
