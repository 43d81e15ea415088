"""The environment variables xraysink reads, and the readers of those the zero-code
set-up (``xraysink.distro``) takes its configuration from.

Every reader raises ``ValueError`` whose message starts with the variable's name, so
that a caller can report a malformed value and go on with a default.
"""

from __future__ import annotations

import os
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.propagators.textmap import TextMapPropagator
    from opentelemetry.sdk.trace.sampling import Sampler

OTEL_SERVICE_NAME = "OTEL_SERVICE_NAME"
"""``service.name`` of the Resource, the name of every segment (OpenTelemetry SDK)."""

OTEL_RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES"
"""Comma-separated ``key=value`` Resource attributes, values percent-encoded
(OpenTelemetry SDK). ``aws.log.group.names=/my/group`` (several groups joined by
``&``) gives segments their ``aws.cloudwatch_logs``."""

XRAYSINK_FRAMEWORK_SPANS = "XRAYSINK_FRAMEWORK_SPANS"
"""Whether the spans web frameworks make on their own (FastAPI's SERVER span and
``fastapi.*`` operation spans, the OpenTelemetry ASGI instrumentation's ``http
send``/``http receive`` spans) are recorded: ``true``/``false`` as
``XRAYSINK_TRUST_INCOMING_SAMPLING``. Unset: off when the X-Ray SDK recorder set
tracing up (``xray_recorder.configure(context=AsyncContext())``, the 1.6.2 call
sites: traces keep 1.6.2's shape), on under ``xraysink.configure()``, whose
``framework_spans`` argument wins over it. See :mod:`xraysink.framework_spans`."""


OTEL_EXPERIMENTAL_RESOURCE_DETECTORS = "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS"
"""Comma-separated names of ``opentelemetry_resource_detector`` entry points that
``Resource.create()`` runs (OpenTelemetry SDK): ``aws_ec2``, ``aws_ecs``, ``aws_eks``,
``aws_elastic_beanstalk``, ``aws_lambda`` from ``opentelemetry-sdk-extension-aws``.
Unset under the zero-code set-up: the AWS detectors this environment shows without a
network call (``xraysink.detectors.present``)."""

OTEL_TRACES_SAMPLER = "OTEL_TRACES_SAMPLER"
"""Name of an ``opentelemetry_traces_sampler`` entry point (``always_on``,
``traceidratio``, ...): the root policy of the X-Ray sampler, which still follows a
caller's ``Sampled=1``/``0`` (see ``XRAYSINK_TRUST_INCOMING_SAMPLING``)."""

OTEL_TRACES_SAMPLER_ARG = "OTEL_TRACES_SAMPLER_ARG"
"""Argument of ``OTEL_TRACES_SAMPLER``: a probability in [0, 1] for ``traceidratio``
and ``parentbased_traceidratio`` (default 1.0), given as text to any other sampler."""

OTEL_PROPAGATORS = "OTEL_PROPAGATORS"
"""Comma-separated names of ``opentelemetry_propagator`` entry points (OpenTelemetry
API). xraysink always reads and writes ``X-Amzn-Trace-Id`` with its own lenient
propagator, first; ``xray`` in the list names that one. The zero-code set-up's
default is ``DEFAULT_PROPAGATORS``."""

DEFAULT_PROPAGATORS = "xray,tracecontext,baggage"
"""``OTEL_PROPAGATORS`` under the zero-code set-up when unset: X-Ray's header, then W3C
``traceparent`` and ``baggage``."""

OTEL_SDK_DISABLED = "OTEL_SDK_DISABLED"
"""``true`` (any case) turns the OpenTelemetry SDK, hence tracing, off; any other value
leaves it on (OpenTelemetry SDK)."""

AWS_XRAY_DAEMON_ADDRESS = "AWS_XRAY_DAEMON_ADDRESS"
"""Where documents go: ``host:port`` or ``udp:host:port tcp:host:port`` (X-Ray SDKs);
default ``127.0.0.1:2000``."""

AWS_XRAY_SDK_ENABLED = "AWS_XRAY_SDK_ENABLED"
"""``false`` turns tracing off, as it turns the X-Ray SDK off (X-Ray SDK literals:
``true/t/yes/y/on/1``, ``false/f/no/n/off/0``, any case)."""

AWS_REGION = "AWS_REGION"
"""The AWS region of the X-Ray API emitter's client (botocore itself reads only
``AWS_DEFAULT_REGION`` and the profile's config, which come next)."""

XRAYSINK_EXPORTER = "XRAYSINK_EXPORTER"
"""How documents leave the process: ``udp`` (default: to the daemon or the CloudWatch
agent) or ``api`` (X-Ray's ``PutTraceSegments`` through botocore)."""

EXPORTERS = ("udp", "api")
"""The values ``XRAYSINK_EXPORTER`` accepts."""

XRAYSINK_TRUST_INCOMING_SAMPLING = "XRAYSINK_TRUST_INCOMING_SAMPLING"
"""``false`` lets this service's sampler decide even when a caller sends
``Sampled=1``/``0``; default true, as the X-Ray SDK (see ``xraysink.sampling.sampler``)."""

ECS_CONTAINER_METADATA_URI_V4 = "ECS_CONTAINER_METADATA_URI_V4"
"""Set by ECS (agent 1.39+, Fargate 1.4+) in every container: the task metadata
endpoint the ``aws_ecs`` detector reads."""

ECS_CONTAINER_METADATA_URI = "ECS_CONTAINER_METADATA_URI"
"""Set by older ECS agents: marks an ECS container (no metadata read)."""

AWS_LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
"""Set by AWS Lambda in every function's environment: when present, spans leave as
subsegments of the segment Lambda records for the invocation (``xraysink.aws_lambda``)."""

LAMBDA_TRACE_HEADER = "_X_AMZN_TRACE_ID"
"""Set by AWS Lambda before each invocation: the function segment's trace header
(``Root=...;Parent=...;Sampled=0|1``), read anew for every invocation."""

_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})
# xraysink's own switches take fewer spellings than the X-Ray SDK's flag.
_GET_TRUE = frozenset({"true", "1", "yes", "on"})
_GET_FALSE = frozenset({"false", "0", "no", "off"})
_RATIO_SAMPLERS = frozenset({"traceidratio", "parentbased_traceidratio"})


def flag(name: str) -> bool | None:
    """The boolean in variable ``name``: None when unset or blank; the X-Ray SDK's
    literals otherwise (see ``AWS_XRAY_SDK_ENABLED``). Raises ``ValueError`` for any
    other value."""
    return _boolean(name, _TRUE, _FALSE)


def _boolean(name: str, true: frozenset[str], false: frozenset[str]) -> bool | None:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in true or raw in false:
        return raw in true
    raise ValueError(f"{name} must be true or false, got {os.environ[name]!r}")


def otel_flag(name: str) -> bool:
    """The boolean in variable ``name`` as OpenTelemetry reads it: ``true`` (any case)
    is True; unset, blank or ``false`` is False. Raises ``ValueError`` for any other
    value (which the OpenTelemetry SDK reads as False)."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "true", "false"):
        return raw == "true"
    raise ValueError(f"{name} must be true or false, got {os.environ[name]!r}")


def names(name: str) -> list[str]:
    """The comma-separated names in variable ``name``, stripped, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def exporter() -> str:
    """``XRAYSINK_EXPORTER``, lower-cased; ``udp`` when unset. Raises ``ValueError``
    for a value outside ``EXPORTERS``."""
    raw = os.environ.get(XRAYSINK_EXPORTER, "").strip().lower() or "udp"
    if raw not in EXPORTERS:
        raise ValueError(
            f"{XRAYSINK_EXPORTER} must be udp or api, got {os.environ[XRAYSINK_EXPORTER]!r}"
        )
    return raw


def daemon_address() -> str | None:
    """``AWS_XRAY_DAEMON_ADDRESS``, checked; None when unset or blank. Raises
    ``ValueError`` for an address the X-Ray SDKs would reject."""
    from xraysink.emitters.udp import parse_daemon_address

    address = os.environ.get(AWS_XRAY_DAEMON_ADDRESS, "").strip()
    if not address:
        return None
    try:
        parse_daemon_address(address)
    except ValueError as exc:
        raise ValueError(f"{AWS_XRAY_DAEMON_ADDRESS}: {exc}") from None
    return address


def traces_sampler() -> Sampler | None:
    """The sampler ``OTEL_TRACES_SAMPLER`` names, built with ``OTEL_TRACES_SAMPLER_ARG``
    as the OpenTelemetry SDK builds it; None when unset. Raises ``ValueError`` for a
    name no installed package registers, a malformed ratio or an argument the sampler
    rejects."""
    from opentelemetry.sdk.trace.sampling import Sampler

    name = os.environ.get(OTEL_TRACES_SAMPLER, "").strip()
    if not name:
        return None
    factory = _entry_point("opentelemetry_traces_sampler", name, OTEL_TRACES_SAMPLER).load()
    arg: Any = os.environ.get(OTEL_TRACES_SAMPLER_ARG)
    try:
        if name in _RATIO_SAMPLERS:
            arg = 1.0 if arg is None or not arg.strip() else float(arg)
        sampler = factory(arg)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{OTEL_TRACES_SAMPLER_ARG}={arg!r} for sampler {name!r}: {exc}") from None
    if not isinstance(sampler, Sampler):
        raise ValueError(f"{OTEL_TRACES_SAMPLER}: {name!r} made {sampler!r}, not a Sampler")
    return sampler


def propagator() -> TextMapPropagator:
    """``X-Amzn-Trace-Id`` (xraysink's lenient ``XRayPropagator``), then each other
    propagator ``OTEL_PROPAGATORS`` names, in its order; ``none`` leaves X-Ray's alone.
    Raises ``ValueError`` for a name no installed package registers (the OpenTelemetry
    API raises first, when ``opentelemetry.propagate`` is imported)."""
    from opentelemetry.propagators.composite import CompositePropagator

    from xraysink.propagation.propagator import XRayPropagator

    listed = names(OTEL_PROPAGATORS)
    chosen: list[TextMapPropagator] = [XRayPropagator()]
    if "none" not in listed:
        for name in dict.fromkeys(listed):
            if name != "xray":
                chosen.append(
                    _entry_point("opentelemetry_propagator", name, OTEL_PROPAGATORS).load()()
                )
    return chosen[0] if len(chosen) == 1 else CompositePropagator(chosen)


def check_resource_attributes() -> None:
    """Raise ``ValueError`` naming ``OTEL_RESOURCE_ATTRIBUTES`` for an item that is not
    ``key=value``; the SDK skips such items and uses the rest."""
    raw = os.environ.get(OTEL_RESOURCE_ATTRIBUTES, "")
    malformed = [item for item in raw.split(",") if "=" not in item] if raw.strip() else []
    if malformed:
        raise ValueError(f"{OTEL_RESOURCE_ATTRIBUTES}: not key=value: {malformed!r}")


def check_resource_detectors() -> None:
    """Raise ``ValueError`` naming ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS`` for a name
    no installed package registers; the SDK skips it and runs the rest."""
    listed = names(OTEL_EXPERIMENTAL_RESOURCE_DETECTORS)
    if not listed:
        return
    known = entry_points(group="opentelemetry_resource_detector").names
    unknown = [name for name in listed if name not in known and name != "*"]
    if unknown:
        raise ValueError(
            f"{OTEL_EXPERIMENTAL_RESOURCE_DETECTORS}: no resource detector named "
            f"{', '.join(unknown)} is installed (installed: {', '.join(sorted(known))})"
        )


def _entry_point(group: str, name: str, variable: str) -> EntryPoint:
    found = entry_points(group=group, name=name)
    if not found:
        installed = ", ".join(sorted(entry_points(group=group).names))
        raise ValueError(f"{variable}: no {group} named {name!r} is installed ({installed})")
    return next(iter(found))


def in_lambda() -> bool:
    """Whether this process runs as an AWS Lambda function (``AWS_LAMBDA_FUNCTION_NAME``)."""
    return bool(os.environ.get(AWS_LAMBDA_FUNCTION_NAME))


def get(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(name) or None


def get_bool(name: str, default: bool) -> bool:
    """A boolean variable: ``true``/``1``/``yes``/``on`` or ``false``/``0``/``no``/
    ``off``, any case; ``default`` when unset or empty. Raises ``ValueError`` naming
    the variable for any other value: a typo must not silently flip a setting."""
    value = _boolean(name, _GET_TRUE, _GET_FALSE)
    return default if value is None else value
