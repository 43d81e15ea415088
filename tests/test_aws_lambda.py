"""``xraysink.aws_lambda``: the function's segment from ``_X_AMZN_TRACE_ID``, read each
time it is asked for, and the Lambda propagator that makes it every request's parent."""

from __future__ import annotations

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from xraysink.aws_lambda import LambdaPropagator, function_context, function_header

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
TRACE_ID = 0x5759E988BD862E3FE1BE46A994272793
PARENT = 0x53995C3F42CD8AD8


def parent_of(context: otel_context.Context) -> trace.SpanContext:
    return trace.get_current_span(context).get_span_context()


@pytest.mark.parametrize(
    ("header", "sampled"),
    [
        (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", True),
        (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0", False),
        (f"Root={ROOT};Parent=53995c3f42cd8ad8", False),
        (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=?", False),
    ],
)
def test_only_sampled_1_samples(
    monkeypatch: pytest.MonkeyPatch, header: str, sampled: bool
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", header)
    read = function_header()
    assert read is not None and read.sampled is sampled
    parent = parent_of(function_context())
    assert (parent.trace_id, parent.span_id, parent.is_remote) == (TRACE_ID, PARENT, True)
    assert parent.trace_flags.sampled is sampled


def test_read_anew_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    assert function_header() is None
    assert not parent_of(function_context()).is_valid
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    assert parent_of(function_context()).span_id == PARENT


def test_propagator_prefers_the_function_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = {"X-Amzn-Trace-Id": f"Root={ROOT};Parent=1111111111111111;Sampled=1"}
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    # Outside an invocation the carrier's header is all there is.
    assert parent_of(LambdaPropagator().extract(gateway)).span_id == 0x1111111111111111
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    assert parent_of(LambdaPropagator().extract(gateway)).span_id == PARENT
    assert parent_of(LambdaPropagator().extract({})).span_id == PARENT


def test_propagator_keeps_a_span_of_the_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("handler", context=function_context()) as handler:
        # A request served inside the handler stays under the handler's span.
        extracted = LambdaPropagator().extract({})
        assert parent_of(extracted) == handler.get_span_context()
    other = tracer.start_span("other trace")
    with trace.use_span(other, end_on_exit=True):
        assert parent_of(LambdaPropagator().extract({})).span_id == PARENT
