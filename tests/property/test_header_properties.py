"""Property tests over incoming ``X-Amzn-Trace-Id`` values (issue 4 §3): any text or
bytes, any length, any case, through the parser, the propagator and the sampler."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Decision

from tests.property.strategies import MAX_64, MAX_128, any_char
from xraysink.propagation.header import (
    MAX_HEADER_LENGTH,
    TraceHeader,
    format_response_header,
    format_trace_id,
    parse_trace_header,
)
from xraysink.propagation.keys import HEADER_KEY
from xraysink.propagation.propagator import XRayPropagator
from xraysink.sampling.sampler import XRaySampler

# Header parsing is cheap: many more examples than the span tests in the same time.
many = settings(max_examples=settings().max_examples * 4)

# Text built from the header's own vocabulary, so that near-valid values are common.
_PIECES = st.sampled_from(
    ["Root", "root", "ROOT", "Parent", "pArEnT", "Sampled", "sampled", "Self", "Lineage",
     "=", "==", ";", ";;", " ", "\t", "1-", "-", "?", "0", "1", "2", "a", "F", "\x00", "é"]
)  # fmt: skip
header_like = st.one_of(
    st.lists(st.one_of(_PIECES, st.text(any_char, max_size=3)), max_size=30).map("".join),
    st.text(any_char, max_size=200),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
)


def _random_case(text: str, flips: list[bool]) -> str:
    flip = itertools.cycle(flips or [False])
    return "".join(char.upper() if next(flip) else char.lower() for char in text)


def assert_well_formed(header: TraceHeader | None) -> None:
    if header is None:
        return
    assert 0 < header.trace_id <= MAX_128
    assert header.parent_id is None or 0 < header.parent_id <= MAX_64
    assert header.sampled in (True, False, None)
    assert not (header.sampling_requested and header.sampled is not None)


@many
@given(header_like)
def test_any_text_parses_to_a_well_formed_header_or_none(value: str) -> None:
    assert_well_formed(parse_trace_header(value))


@many
@given(st.text(any_char, max_size=64), st.integers(1, 4 * MAX_HEADER_LENGTH))
def test_a_header_over_the_bound_is_never_parsed(tail: str, extra: int) -> None:
    valid = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;"
    value = (valid + tail + "x" * MAX_HEADER_LENGTH)[: MAX_HEADER_LENGTH + extra]
    assert parse_trace_header(value) is None


@many
@given(
    trace_id=st.integers(1, MAX_128),
    parent_id=st.one_of(st.none(), st.integers(1, MAX_64)),
    sampled=st.sampled_from(["1", "0", "?", None]),
    flips=st.lists(st.booleans(), max_size=99),
    space=st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=8, max_size=8),
    order=st.permutations(range(3)),
    unknown=st.lists(st.sampled_from(["Self=1-a-b", "Lineage=a87bd80c:1", "x", ""]), max_size=2),
)
def test_a_valid_header_in_any_case_and_spacing_keeps_its_fields(
    trace_id: int,
    parent_id: int | None,
    sampled: str | None,
    flips: list[bool],
    space: list[str],
    order: list[int],
    unknown: list[str],
) -> None:
    fields = [
        f"Root{space[0]}={space[1]}{format_trace_id(trace_id)}",
        f"Parent={space[2]}{parent_id:016x}" if parent_id is not None else "",
        f"Sampled{space[3]}={sampled}" if sampled is not None else "",
    ]
    parts = [fields[index] for index in order] + unknown
    value = _random_case(space[4] + f"{space[5]};{space[6]}".join(parts) + space[7], flips)
    expected = TraceHeader(
        trace_id, parent_id, {"1": True, "0": False}.get(sampled or ""), sampled == "?"
    )
    assert len(value) <= MAX_HEADER_LENGTH
    assert parse_trace_header(value) == expected


@many
@given(st.integers(1, MAX_128), st.booleans(), header_like)
def test_response_header_round_trips_the_trace_id(
    trace_id: int, sampled: bool, incoming: str
) -> None:
    value = format_response_header(trace_id, sampled, parse_trace_header(incoming))
    parsed = parse_trace_header(value)
    assert parsed is not None and parsed.trace_id == trace_id


carrier_values = st.one_of(
    header_like,
    st.binary(max_size=100),
    st.lists(header_like, max_size=3),
    st.integers(),
    st.none(),
)


@many
@given(carrier_values)
def test_propagator_extract_never_raises_and_keeps_what_it_parsed(value: Any) -> None:
    context = XRayPropagator().extract({"X-Amzn-Trace-Id": value}, Context())
    header = context.get(HEADER_KEY)
    assert header is None or isinstance(header, TraceHeader)
    assert_well_formed(header)
    parent = trace.get_current_span(context).get_span_context()
    if header is None or header.parent_id is None:
        assert not parent.is_valid
    else:
        assert parent.is_remote and parent.trace_id == header.trace_id
        assert parent.span_id == header.parent_id


@many
@given(carrier_values, st.booleans())
def test_untrusted_incoming_header_never_decides_sampling(value: Any, root_samples: bool) -> None:
    # The cost attack of issue 4 §5: with trust off, no header can change the decision.
    root = ALWAYS_ON if root_samples else ALWAYS_OFF
    sampler = XRaySampler(root, trust_incoming_sampling=False)
    context = XRayPropagator().extract({"X-Amzn-Trace-Id": value}, Context())
    result = sampler.should_sample(context, 1, "request", trace.SpanKind.SERVER)
    assert result.decision is (Decision.RECORD_AND_SAMPLE if root_samples else Decision.DROP)


@many
@given(carrier_values, st.booleans())
def test_any_incoming_header_starts_a_span_on_a_real_provider(value: Any, trust: bool) -> None:
    tracer = TracerProvider(sampler=XRaySampler(ALWAYS_OFF, trust)).get_tracer("property")
    context = XRayPropagator().extract({"X-Amzn-Trace-Id": value}, Context())
    with tracer.start_as_current_span("request", context, trace.SpanKind.SERVER) as span:
        span_context = span.get_span_context()
    header = context.get(HEADER_KEY)
    told = isinstance(header, TraceHeader) and header.sampled is True
    assert span_context.trace_flags.sampled is (trust and told)
    assert span_context.is_valid
