"""Lenient X-Amzn-Trace-Id parsing (SPEC §4.7) and the response header."""

from __future__ import annotations

import pytest

from xraysink.propagation.header import (
    MAX_HEADER_LENGTH,
    TraceHeader,
    format_response_header,
    format_trace_id,
    parse_trace_header,
)
from xraysink.propagation.keys import HEADER_KEY
from xraysink.propagation.propagator import XRayPropagator

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
TRACE_ID = int("5759e988bd862e3fe1be46a994272793", 16)
PARENT = int("53995c3f42cd8ad8", 16)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1",
            TraceHeader(TRACE_ID, PARENT, True, False),
        ),
        (
            f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0",
            TraceHeader(TRACE_ID, PARENT, False, False),
        ),
        (f"Root={ROOT}", TraceHeader(TRACE_ID, None, None, False)),  # what an ALB sends
        (f"Root={ROOT};Sampled=?", TraceHeader(TRACE_ID, None, None, True)),
        (
            f"root={ROOT.upper()};parent=53995C3F42CD8AD8;sampled=1",
            TraceHeader(TRACE_ID, PARENT, True, False),
        ),
        (
            f" Root = {ROOT} ;; Parent=53995c3f42cd8ad8 ; Sampled=1 ;",
            TraceHeader(TRACE_ID, PARENT, True, False),
        ),
        (
            f"Self=1-67891233-abcdef012345678912345678;Root={ROOT};Lineage=a87bd80c:1",
            TraceHeader(TRACE_ID, None, None, False),
        ),
        (f"Root={ROOT};Parent=nothex;Sampled=x", TraceHeader(TRACE_ID, None, None, False)),
    ],
)
def test_lenient_parse(value: str, expected: TraceHeader) -> None:
    assert parse_trace_header(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=1-xyz",
        "Root=2-5759e988-bd862e3fe1be46a994272793",
        "Root=1-00000000-000000000000000000000000",
        "garbage",
        "Root=" + ROOT + ";" + "x" * MAX_HEADER_LENGTH,
    ],
)
def test_unusable_header_is_ignored(value: str | None) -> None:
    assert parse_trace_header(value) is None


def test_format_round_trip() -> None:
    assert format_trace_id(TRACE_ID) == ROOT


def test_response_header_reports_decision_only_when_asked() -> None:
    asked = parse_trace_header(f"Root={ROOT};Sampled=?")
    told = parse_trace_header(f"Root={ROOT};Sampled=1")
    assert format_response_header(TRACE_ID, True, asked) == f"Root={ROOT};Sampled=1"
    assert format_response_header(TRACE_ID, False, asked) == f"Root={ROOT};Sampled=0"
    assert format_response_header(TRACE_ID, True, told) == f"Root={ROOT}"
    assert format_response_header(TRACE_ID, True, None) == f"Root={ROOT}"


def test_propagator_extracts_what_the_otel_propagator_drops() -> None:
    from opentelemetry import trace

    context = XRayPropagator().extract({"X-Amzn-Trace-Id": f"root={ROOT};parent=53995c3f42cd8ad8;"})
    span_context = trace.get_current_span(context).get_span_context()
    assert span_context.trace_id == TRACE_ID
    assert span_context.span_id == PARENT
    assert span_context.is_remote
    assert context.get(HEADER_KEY) == TraceHeader(TRACE_ID, PARENT, None, False)


def test_propagator_injects_current_span() -> None:
    from opentelemetry import trace

    span_context = trace.SpanContext(
        TRACE_ID, PARENT, is_remote=False, trace_flags=trace.TraceFlags(1)
    )
    carrier: dict[str, str] = {}
    XRayPropagator().inject(
        carrier, trace.set_span_in_context(trace.NonRecordingSpan(span_context))
    )
    assert carrier == {"X-Amzn-Trace-Id": f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"}


def test_header_up_to_the_bound_is_parsed_and_longer_is_ignored() -> None:
    valid = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;"
    at_bound = valid + " " * (MAX_HEADER_LENGTH - len(valid))
    assert len(at_bound) == MAX_HEADER_LENGTH
    assert parse_trace_header(at_bound) == TraceHeader(TRACE_ID, PARENT, True, False)
    # One more character and nothing is read, not even the valid Root at its start.
    assert parse_trace_header(at_bound + " ") is None
    assert parse_trace_header(valid + "Lineage=" + "a" * 10 * MAX_HEADER_LENGTH) is None


def test_propagator_ignores_an_oversized_header() -> None:
    from opentelemetry import trace
    from opentelemetry.context import Context

    value = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;" + "x" * MAX_HEADER_LENGTH
    context = XRayPropagator().extract({"X-Amzn-Trace-Id": value}, Context())
    assert context == Context()
    assert not trace.get_current_span(context).get_span_context().is_valid


@pytest.mark.parametrize("value", [b"Root=" + ROOT.encode(), 17, None, [None]])
def test_propagator_ignores_a_carrier_value_that_is_not_text(value: object) -> None:
    from opentelemetry.context import Context

    assert XRayPropagator().extract({"X-Amzn-Trace-Id": value}, Context()) == Context()
