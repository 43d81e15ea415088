"""``xraysink.environment``: the readers behind the zero-code set-up, on real
OpenTelemetry objects."""

from __future__ import annotations

import pytest
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from xraysink import environment
from xraysink.propagation.propagator import XRayPropagator


def kinds(value: object) -> list[type]:
    inner = value._propagators if isinstance(value, CompositePropagator) else [value]  # type: ignore[attr-defined]
    return [type(propagator) for propagator in inner]


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        ("", [XRayPropagator]),
        ("none", [XRayPropagator]),
        ("xray", [XRayPropagator]),
        (
            "xray,tracecontext,baggage",
            [XRayPropagator, TraceContextTextMapPropagator, W3CBaggagePropagator],
        ),
        # X-Ray's header first, once, by the lenient propagator (never contrib's).
        ("tracecontext, xray ,tracecontext", [XRayPropagator, TraceContextTextMapPropagator]),
    ],
)
def test_propagators(listed: str, expected: list[type], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_PROPAGATORS", listed)
    found = kinds(environment.propagator())
    assert found == expected
    assert AwsXRayPropagator not in found


def test_an_unknown_propagator_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_PROPAGATORS", "xray,bogus")
    with pytest.raises(
        ValueError, match=r"^OTEL_PROPAGATORS: no opentelemetry_propagator named 'bogus'"
    ):
        environment.propagator()


@pytest.mark.parametrize(
    ("name", "arg", "kind", "rate"),
    [
        ("traceidratio", "0.25", TraceIdRatioBased, 0.25),
        ("traceidratio", None, TraceIdRatioBased, 1.0),
        ("parentbased_traceidratio", " 0.5 ", ParentBasedTraceIdRatio, None),
    ],
)
def test_ratio_samplers(
    name: str, arg: str | None, kind: type, rate: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", name)
    if arg is None:
        monkeypatch.delenv("OTEL_TRACES_SAMPLER_ARG", raising=False)
    else:
        monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", arg)
    sampler = environment.traces_sampler()
    assert isinstance(sampler, kind)
    if rate is not None:
        assert sampler.rate == rate  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "arg", "named"),
    [
        ("bogus", None, "OTEL_TRACES_SAMPLER"),
        ("traceidratio", "half", "OTEL_TRACES_SAMPLER_ARG"),
        ("traceidratio", "1.5", "OTEL_TRACES_SAMPLER_ARG"),
    ],
)
def test_malformed_samplers_are_named(
    name: str, arg: str | None, named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", name)
    if arg is not None:
        monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", arg)
    with pytest.raises(ValueError, match=f"^{named}"):
        environment.traces_sampler()


@pytest.mark.parametrize(
    ("raw", "value"), [("", None), ("TRUE", True), ("off", False), ("0", False)]
)
def test_xray_flag(raw: str, value: bool | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_XRAY_SDK_ENABLED", raw)
    assert environment.flag("AWS_XRAY_SDK_ENABLED") is value


@pytest.mark.parametrize(("raw", "value"), [("", False), ("True", True), ("false", False)])
def test_otel_flag(raw: str, value: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", raw)
    assert environment.otel_flag("OTEL_SDK_DISABLED") is value


@pytest.mark.parametrize(
    ("name", "raw", "reader"),
    [
        ("OTEL_SDK_DISABLED", "yes", lambda: environment.otel_flag("OTEL_SDK_DISABLED")),
        ("AWS_XRAY_SDK_ENABLED", "perhaps", lambda: environment.flag("AWS_XRAY_SDK_ENABLED")),
        ("XRAYSINK_EXPORTER", "kafka", environment.exporter),
        ("AWS_XRAY_DAEMON_ADDRESS", "nohost", environment.daemon_address),
        ("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken", environment.check_resource_attributes),
        ("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "aws_ec3", environment.check_resource_detectors),
    ],
)
def test_malformed_values_are_named(
    name: str, raw: str, reader: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError, match=f"^{name}"):
        reader()  # type: ignore[operator]


def test_well_formed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XRAYSINK_EXPORTER", " API ")
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "tcp:127.0.0.1:2000 udp:127.0.0.1:2001")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "aws.log.group.names=/a&/b,team=x")
    monkeypatch.setenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "aws_ecs, aws_lambda,*")
    assert environment.exporter() == "api"
    assert environment.daemon_address() == "tcp:127.0.0.1:2000 udp:127.0.0.1:2001"
    environment.check_resource_attributes()
    environment.check_resource_detectors()
