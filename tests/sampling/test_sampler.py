"""``XRaySampler`` with real OpenTelemetry SDK objects: the caller's decision, the root
sampler, and the option not to trust incoming decisions (issue 4 §5)."""

from __future__ import annotations

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler

from xraysink.propagation.ids import XRayIdGenerator
from xraysink.propagation.keys import SPAN_KEY
from xraysink.propagation.propagator import XRayPropagator
from xraysink.sampling.sampler import TRUST_ENV, XRaySampler, trust_from_env

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"


@pytest.fixture(autouse=True)
def _no_trust_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRUST_ENV, raising=False)


def sampled(sampler: Sampler, header: str | None, parent: Context | None = None) -> bool:
    """Whether a SERVER span started under ``header`` (extracted by the propagator)
    on a real provider with ``sampler`` is sampled. The provider has xraysink's id
    generator, as configure() gives it: it consumes what the propagator leaves for it
    (a ``Root`` without ``Parent``), which would otherwise reach the next test."""
    tracer = TracerProvider(sampler=sampler, id_generator=XRayIdGenerator()).get_tracer("test")
    context = parent
    if header is not None:
        context = XRayPropagator().extract({"X-Amzn-Trace-Id": header})
    span = tracer.start_span("request", context=context, kind=trace.SpanKind.SERVER)
    span.end()
    return span.get_span_context().trace_flags.sampled


@pytest.mark.parametrize(
    ("header", "root", "expected"),
    [
        (f"Root={ROOT};Parent={PARENT};Sampled=1", ALWAYS_OFF, True),
        (f"Root={ROOT};Sampled=1", ALWAYS_OFF, True),
        (f"Root={ROOT};Parent={PARENT};Sampled=0", ALWAYS_ON, False),
        (f"Root={ROOT};Parent={PARENT};Sampled=?", ALWAYS_OFF, False),
        (f"Root={ROOT}", ALWAYS_ON, True),
        (None, ALWAYS_OFF, False),
    ],
)
def test_incoming_decision_is_obeyed_by_default(
    header: str | None, root: Sampler, expected: bool
) -> None:
    assert sampled(XRaySampler(root), header) is expected


@pytest.mark.parametrize(("header", "expected"), [("Sampled=?", True), ("Sampled=0", False)])
def test_an_attached_header_decides_as_one_passed_to_start_span(
    header: str, expected: bool
) -> None:
    # Frameworks that attach the extracted context start their span with no context:
    # the SDK then hands the sampler None, and the header is in the current context.
    context = XRayPropagator().extract({"X-Amzn-Trace-Id": f"Root={ROOT};Parent={PARENT};{header}"})
    tracer = TracerProvider(sampler=XRaySampler(ALWAYS_ON)).get_tracer("test")
    token = otel_context.attach(context)
    try:
        span = tracer.start_span("request", kind=trace.SpanKind.SERVER)
    finally:
        otel_context.detach(token)
    span.end()
    assert span.get_span_context().trace_flags.sampled is expected


@pytest.mark.parametrize(
    "header",
    [
        f"Root={ROOT};Parent={PARENT};Sampled=1",
        f"Root={ROOT};Sampled=1",
        f"root={ROOT};parent={PARENT};sampled=1",
        f"Root={ROOT};Parent={PARENT};Sampled=0",
        f"Root={ROOT};Parent={PARENT};Sampled=?",
        f"Root={ROOT}",
    ],
)
@pytest.mark.parametrize("root", [ALWAYS_ON, ALWAYS_OFF])
def test_untrusted_incoming_decision_leaves_it_to_the_root_sampler(
    header: str, root: Sampler
) -> None:
    expected = root is ALWAYS_ON
    assert sampled(XRaySampler(root, trust_incoming_sampling=False), header) is expected


def test_untrusted_remote_parent_is_hidden_from_a_parent_based_root() -> None:
    # ParentBased would follow the remote parent's flag: the attack would still work.
    sampler = XRaySampler(ParentBased(ALWAYS_OFF), trust_incoming_sampling=False)
    assert sampled(sampler, f"Root={ROOT};Parent={PARENT};Sampled=1") is False


def test_untrusted_incoming_decision_keeps_the_callers_trace() -> None:
    tracer = TracerProvider(sampler=XRaySampler(ALWAYS_ON, False)).get_tracer("test")
    context = XRayPropagator().extract(
        {"X-Amzn-Trace-Id": f"Root={ROOT};Parent={PARENT};Sampled=0"}
    )
    with tracer.start_as_current_span("request", context=context) as span:
        pass
    assert span.get_span_context().trace_flags.sampled
    assert f"{span.get_span_context().trace_id:032x}" == ROOT[2:].replace("-", "")
    assert span.parent is not None and f"{span.parent.span_id:016x}" == PARENT


@pytest.mark.parametrize("root", [ALWAYS_ON, ALWAYS_OFF])
def test_local_parent_is_followed_even_when_untrusted(root: Sampler) -> None:
    # The root sampler decides the request once; its children follow that decision.
    decider = XRaySampler(ALWAYS_ON if root is ALWAYS_OFF else ALWAYS_OFF, False)
    parent = TracerProvider(sampler=decider).get_tracer("test").start_span("request")
    tracer = TracerProvider(sampler=XRaySampler(root, False)).get_tracer("test")
    child = tracer.start_span("child", context=trace.set_span_in_context(parent))
    assert (
        child.get_span_context().trace_flags.sampled
        is parent.get_span_context().trace_flags.sampled
    )
    assert child.get_span_context().trace_flags.sampled is (root is ALWAYS_OFF)


class _OtherSpan(trace.NonRecordingSpan):
    """A span of another implementation than the SDK's or the API's own."""


@pytest.mark.parametrize("flags", [trace.TraceFlags.SAMPLED, trace.TraceFlags.DEFAULT])
def test_parent_of_another_span_implementation_is_followed(flags: int) -> None:
    trace_id, span_id = int(ROOT[2:].replace("-", ""), 16), int(PARENT, 16)
    parent = _OtherSpan(trace.SpanContext(trace_id, span_id, False, trace.TraceFlags(flags)))
    tracer = TracerProvider(sampler=XRaySampler(ALWAYS_ON)).get_tracer("test")
    child = tracer.start_span("child", context=trace.set_span_in_context(parent))
    assert child.get_span_context().trace_flags.sampled is bool(flags)
    assert f"{child.get_span_context().trace_id:032x}" == ROOT[2:].replace("-", "")


def test_a_context_value_that_is_no_span_leaves_it_to_the_root_sampler() -> None:
    context = Context({SPAN_KEY: "not a span"})
    assert sampled(XRaySampler(ALWAYS_OFF), None, context) is False
    assert sampled(XRaySampler(ALWAYS_ON), None, context) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("false", False),
        ("FALSE", False),
        (" off ", False),
        ("0", False),
        ("no", False),
        ("true", True),
        ("1", True),
        ("", True),
        ("On", True),
    ],
)
def test_trust_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv(TRUST_ENV, value)
    assert trust_from_env() is expected
    assert XRaySampler().trust_incoming_sampling is expected
    header = f"Root={ROOT};Parent={PARENT};Sampled=1"
    assert sampled(XRaySampler(ALWAYS_OFF), header) is expected


def test_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRUST_ENV, "false")
    assert XRaySampler(trust_incoming_sampling=True).trust_incoming_sampling is True
    monkeypatch.setenv(TRUST_ENV, "true")
    assert XRaySampler(trust_incoming_sampling=False).trust_incoming_sampling is False


def test_trust_is_on_when_the_environment_is_silent() -> None:
    assert XRaySampler().trust_incoming_sampling is True


def test_malformed_environment_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRUST_ENV, "flase")
    with pytest.raises(ValueError, match=f"{TRUST_ENV}.*'flase'"):
        XRaySampler()


def test_description_names_the_option() -> None:
    assert XRaySampler(ALWAYS_OFF, False).get_description() == (
        "XRaySampler{root=AlwaysOffSampler,trust_incoming_sampling=False}"
    )
    assert XRaySampler(ALWAYS_OFF, True).get_description() == "XRaySampler{root=AlwaysOffSampler}"
