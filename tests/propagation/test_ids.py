"""``XRayIdGenerator`` with a real SDK tracer: X-Ray trace ids, and a ``Root`` without
``Parent`` continued whether the extracted context is attached or only passed."""

from __future__ import annotations

import time

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider

from xraysink.propagation.header import parse_trace_header
from xraysink.propagation.ids import XRayIdGenerator
from xraysink.propagation.keys import expect_root
from xraysink.propagation.propagator import context_with_header

tracer = TracerProvider(id_generator=XRayIdGenerator()).get_tracer(__name__)
ROOT = "1-6a1b2c3d-0000000000000000000cccc1"
ROOT_ID = 0x6A1B2C3D_0000000000000000000CCCC1


def test_new_trace_ids_carry_the_epoch_second() -> None:
    with tracer.start_as_current_span("root") as span:
        seconds = span.get_span_context().trace_id >> 96
    assert abs(seconds - time.time()) < 60


def test_attached_header_without_parent_gives_its_root() -> None:
    context = context_with_header(parse_trace_header(f"Root={ROOT}"))
    token = otel_context.attach(context)
    try:
        span = tracer.start_span("server", context=context)
    finally:
        otel_context.detach(token)
    assert span.get_span_context().trace_id == ROOT_ID
    assert span.parent is None


def test_expected_root_reaches_a_span_started_with_an_unattached_context() -> None:
    expect_root(ROOT_ID)
    span = tracer.start_span("server", context=Context())
    after = tracer.start_span("next root", context=Context())
    assert span.get_span_context().trace_id == ROOT_ID
    assert after.get_span_context().trace_id != ROOT_ID


def test_expected_root_is_dropped_by_a_span_with_a_parent() -> None:
    with tracer.start_as_current_span("request"):
        expect_root(ROOT_ID)
        with tracer.start_as_current_span("child"):
            pass
    assert tracer.start_span("later", context=Context()).get_span_context().trace_id != ROOT_ID
