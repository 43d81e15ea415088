"""Wiring OpenTelemetry for X-Ray: ``configure()`` and the recorder-driven set-up.

One ``TracerProvider`` holds everything: ``XRayIdGenerator``,
``XRaySampler``, a Resource, and one ``XRaySpanProcessor``. When an SDK
``TracerProvider`` is already set, the processor is added to it instead.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

import wrapt
from opentelemetry import propagate, trace
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource, ResourceDetector
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler

from xraysink import environment
from xraysink.detectors import layered_resource
from xraysink.emitters.base import Emitter
from xraysink.emitters.udp import UDPDaemonEmitter
from xraysink.export.processor import XRaySpanProcessor
from xraysink.framework_spans import XRayTracerProvider, default_fastapi_tracing_off, switch
from xraysink.propagation.ids import XRayIdGenerator
from xraysink.sampling.sampler import XRaySampler

_lock = threading.RLock()
_processor: XRaySpanProcessor | None = None
_provider: TracerProvider | None = None
# The recorder's segment naming (xraysink.xray_sdk.settings.segment_name) once AsyncContext() ran;
# kept here so the request path never re-imports it.
_segment_name: Callable[[str | None], str] | None = None
_log_groups: list[dict[str, str]] | None = None
# Whether the recorder set the pipeline up on a TracerProvider of its own: the span
# processor is then the only consumer of the recorder's subsegments.
_recorder_owned = False


def configure(
    service: str | None = None,
    *,
    daemon_address: str | None = None,
    log_group: str | None = None,
    sampler: Sampler | None = None,
    emitter: Emitter | None = None,
    exporter: str | None = None,
    resource: Resource | None = None,
    resource_detectors: Iterable[str | ResourceDetector] = (),
    indexed_attributes: Iterable[str] = (),
    index_all_attributes: bool = False,
    max_waiting_children: int = 1000,
    max_wait_seconds: float = 30.0,
    trust_incoming_sampling: bool | None = None,
    framework_spans: bool | None = None,
) -> TracerProvider:
    """Send every OpenTelemetry span of this process to X-Ray; returns the provider.

    - ``service``: ``service.name`` of the Resource, the name of every segment
      (default: ``OTEL_SERVICE_NAME``, else in AWS Lambda the function's name, else
      OpenTelemetry's ``unknown_service``). In AWS Lambda (``AWS_LAMBDA_FUNCTION_NAME``
      set) spans leave as subsegments of the function's segment and ``sampler`` is not
      consulted: the function's ``Sampled`` decides (see ``xraysink.aws_lambda``).
    - ``daemon_address``: ``host:port`` or ``udp:host:port tcp:host:port``; default
      ``AWS_XRAY_DAEMON_ADDRESS``, else ``127.0.0.1:2000`` (OpenTelemetry precedence:
      the argument wins over the environment).
    - ``log_group``: CloudWatch Logs group, as Resource ``aws.log.group.names``.
    - ``sampler``: decides new traces and ``Sampled=?``; an incoming ``Sampled=0/1``
      is obeyed unless ``trust_incoming_sampling`` is False. Default: the sampler
      ``OTEL_TRACES_SAMPLER`` names, else X-Ray centralized sampling
      (``XRayRemoteSampler``: the rules kept in X-Ray, polled through the daemon's or
      CloudWatch agent's TCP address; until rules arrive, 1 trace a second plus 5%).
    - ``exporter``: ``"udp"`` (to the daemon or CloudWatch agent) or ``"api"`` (X-Ray's
      ``PutTraceSegments`` through botocore, no daemon: ``XRayAPIEmitter``); default
      ``XRAYSINK_EXPORTER``, else ``"udp"``. ``ValueError`` for anything else.
    - ``emitter``: replaces the emitter ``exporter`` picks (anything with
      ``send_entity``).
    - ``resource``: merged under the attributes above, ``OTEL_RESOURCE_ATTRIBUTES``
      and ``OTEL_SERVICE_NAME``, over the SDK's defaults.
    - ``resource_detectors``: names of ``opentelemetry_resource_detector`` entry points
      (``aws_ec2``, ``aws_ecs``, ``aws_eks``, ``aws_elastic_beanstalk``, ``aws_lambda``
      from ``opentelemetry-sdk-extension-aws``) or ``ResourceDetector`` objects, run once
      at the first call, merged under ``resource`` (see
      ``xraysink.detectors.layered_resource``). ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``
      is honoured too. Off AWS, ``aws_ec2`` waits up to 1 s for the instance metadata
      service; the others answer from the environment at once.
    - ``indexed_attributes`` / ``index_all_attributes``, ``max_waiting_children`` /
      ``max_wait_seconds`` (bounds on children held for their local root's
      document): see ``XRaySpanProcessor``; the bounds apply to the first call.
    - ``trust_incoming_sampling``: False lets ``sampler`` decide even when a caller
      sends ``Sampled=1``/``0`` (a cost attack otherwise); default
      ``XRAYSINK_TRUST_INCOMING_SAMPLING`` (``ValueError`` unless true/false), else
      True. First call only, like ``sampler``.
    - ``framework_spans``: record the spans web frameworks make on their own
      (FastAPI's ``fastapi.*`` operation spans, ASGI ``http send``/``receive``
      spans) as subsegments; default ``XRAYSINK_FRAMEWORK_SPANS``, else True.
      Applies to a provider this function creates, on every call.

    Idempotent: a second call returns the same provider and only updates the
    emitter, indexing and log group. Raises ``ValueError`` for a malformed daemon
    address or an unknown detector name, and ``TypeError`` for a non-string
    ``service`` or ``log_group``.
    """
    for label, value in (("service", service), ("log_group", log_group)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{label} must be a str, not {type(value).__name__}")
    if emitter is None:
        emitter = make_emitter(exporter, daemon_address)
    global _recorder_owned
    with _lock:
        switch.on = (
            framework_spans
            if framework_spans is not None
            else environment.get_bool(environment.XRAYSINK_FRAMEWORK_SPANS, True)
        )
        if _recorder_owned:
            # OpenTelemetry first from now on: subsegments become spans again, which
            # every span processor the application adds will see.
            _recorder_owned = False
            bridge = sys.modules.get("xraysink.xray_sdk.bridge")
            if bridge is not None:
                bridge.connect(local_root_id, None)
        if _processor is not None and _provider is not None:
            # The replaced emitter is not closed here: a send in flight on another
            # thread would fail; its socket closes when it is collected.
            _processor.emitter = emitter
            _processor.indexed_attributes = frozenset(indexed_attributes)
            _processor.index_all_attributes = index_all_attributes
            if log_group is not None:
                set_log_group(log_group)
            return _provider
        attributes: dict[str, Any] = {}
        if not service and not environment.get(environment.OTEL_SERVICE_NAME):
            # None outside Lambda; in Lambda, the name the ADOT Lambda layer gives.
            service = environment.get(environment.AWS_LAMBDA_FUNCTION_NAME)
        if service:
            attributes["service.name"] = service
        if log_group:
            attributes["aws.log.group.names"] = (log_group,)
        layered = layered_resource(attributes, resource, resource_detectors)
        processor = XRaySpanProcessor(
            emitter,
            indexed_attributes=indexed_attributes,
            index_all_attributes=index_all_attributes,
            max_waiting_children=max_waiting_children,
            max_wait_seconds=max_wait_seconds,
        )
        _install(processor, layered, sampler, trust_incoming_sampling, daemon_address)
        return _provider  # type: ignore[return-value]


def make_emitter(exporter: str | None, daemon_address: str | None = None) -> Emitter:
    """The emitter ``exporter`` names (``"udp"`` or ``"api"``; None: ``XRAYSINK_EXPORTER``,
    else ``"udp"``), the UDP one for ``daemon_address``. Raises ``ValueError`` for
    another name, a malformed address, or (``"api"``) no AWS region."""
    choice = exporter if exporter is not None else environment.exporter()
    if choice == "udp":
        return UDPDaemonEmitter(daemon_address)
    if choice == "api":
        # botocore (~0.2 s to import) only for processes that send to the API.
        from xraysink.emitters.xray_api import XRayAPIEmitter

        return XRayAPIEmitter()
    raise ValueError(f"exporter must be 'udp' or 'api', got {choice!r}")


def use_recorder() -> None:
    """Drive tracing from the X-Ray SDK recorder (the 1.6.2 call sites): its
    emitter, sampler and naming; ``XRAYSINK_EXPORTER=api`` sends to the X-Ray API
    instead of the recorder's emitter. Called by ``AsyncContext()``; a no-op when a
    pipeline exists already (``configure()`` ran first: its emitter and sampler
    stay, the recorder names segments). Raises ``ValueError`` for a malformed
    ``XRAYSINK_EXPORTER``."""
    global _segment_name
    with _lock:
        if _segment_name is not None:
            return
        from xraysink.xray_sdk.settings import RecorderEmitter, RecorderSampler, segment_name

        _segment_name = segment_name
        if _processor is not None:
            return
        emitter = make_emitter("api") if environment.exporter() == "api" else RecorderEmitter()
        switch.on = environment.get_bool(environment.XRAYSINK_FRAMEWORK_SPANS, False)
        default_fastapi_tracing_off()
        global _recorder_owned
        _recorder_owned = _install(
            XRaySpanProcessor(emitter), Resource.create({}), RecorderSampler()
        )


def ensure_configured() -> None:
    """The 1.6.2 default: with nothing configured, the recorder's defaults apply."""
    if _processor is None:
        use_recorder()


def subsegment_children() -> XRaySpanProcessor | None:
    """The span processor when the recorder set the pipeline up on its own
    ``TracerProvider`` (the 1.6.2 call sites): the recorder bridge then makes X-Ray SDK
    subsegments without spans and hands their documents to it. None otherwise."""
    return _processor if _recorder_owned else None


def recorder_mode() -> bool:
    """Whether the X-Ray SDK recorder names segments (``AsyncContext`` was created)."""
    return _segment_name is not None


def recorder_segment_name(host: str | None = None) -> str:
    """The recorder's segment name for a request to ``host`` (X-Ray SDK
    ``calculate_segment_name``), or ``""`` outside recorder mode."""
    naming = _segment_name
    return naming(host) if naming is not None else ""


def span_processor() -> XRaySpanProcessor | None:
    """The span processor that ``configure()`` or the recorder set-up installed
    (its ``stats`` count spans, documents and drops), or None before either ran."""
    return _processor


def local_root_id(span_id: int) -> int | None:
    """See ``XRaySpanProcessor.local_root_id``; None without a pipeline."""
    processor = _processor
    return processor.local_root_id(span_id) if processor is not None else None


def set_log_group(log_group: str) -> None:
    """Put ``aws.cloudwatch_logs: [{"log_group": log_group}]`` on every segment
    sent from now on, whether the pipeline exists yet or not."""
    global _log_groups
    with _lock:
        _log_groups = [{"log_group": log_group}]
        if _processor is not None:
            _processor.log_groups = _log_groups


def _install(
    processor: XRaySpanProcessor,
    resource: Resource,
    sampler: Sampler | None,
    trust_incoming_sampling: bool | None = None,
    daemon_address: str | None = None,
) -> bool:
    """Install ``processor``; returns whether on a ``TracerProvider`` made here."""
    global _processor, _provider
    # xray_recorder calls join the OpenTelemetry trace (xraysink.xray_sdk.bridge), without
    # importing aws_xray_sdk (0.3 s) for processes that never use it.
    wrapt.register_post_import_hook(_bridge_recorder, "aws_xray_sdk.core")
    wrapt.register_post_import_hook(_correct_httplib_patch, "aws_xray_sdk.ext.httplib")
    processor.log_groups = _log_groups
    if environment.in_lambda():
        # The function's segment (_X_AMZN_TRACE_ID) decides; spans outside it are dropped.
        sampler, trust_incoming_sampling = ALWAYS_OFF, True
    current = trace.get_tracer_provider()
    created = False
    if not isinstance(current, TracerProvider):
        if sampler is None:
            # Made only with a new provider: its thread would poll for nothing otherwise.
            sampler = _from_environment() or _centralized(resource, daemon_address)
        provider = XRayTracerProvider(
            resource=resource,
            id_generator=XRayIdGenerator(),
            sampler=XRaySampler(sampler, trust_incoming_sampling),
        )
        trace.set_tracer_provider(provider)
        current = trace.get_tracer_provider()
        created = current is provider
    if isinstance(current, TracerProvider):
        current.add_span_processor(processor)
        _provider = current
    _processor = processor
    propagate.set_global_textmap(_propagator())
    # Server instrumentations import this module to find the response propagator;
    # waiting for that import keeps opentelemetry-instrumentation (~80 ms) out of
    # processes that have none.
    wrapt.register_post_import_hook(
        _install_response_propagator, "opentelemetry.instrumentation.propagators"
    )
    return created


def _from_environment() -> Sampler | None:
    try:
        return environment.traces_sampler()
    except ValueError as exc:
        # As the OpenTelemetry SDK does with its own variable: warn, keep the default.
        logging.getLogger(__name__).warning("xraysink: %s; the default sampler is used", exc)
        return None


def _centralized(resource: Resource, daemon_address: str | None) -> Sampler:
    from xraysink.sampling.remote import XRayRemoteSampler, sampling_endpoint

    return XRayRemoteSampler(resource, endpoint=sampling_endpoint(daemon_address))


def _install_response_propagator(module: Any) -> None:
    from xraysink.propagation.response import install

    install()


def _bridge_recorder(module: Any) -> None:
    from xraysink.xray_sdk.bridge import install

    install(
        sdk_decides=recorder_mode(),
        local_root_id=local_root_id,
        children=subsegment_children(),
    )


def _correct_httplib_patch(module: Any) -> None:
    from xraysink.xray_sdk.httplib import install

    install()


def _propagator() -> Any:
    chosen = environment.propagator()
    if environment.in_lambda():
        from xraysink.aws_lambda import LambdaPropagator

        # Last, so that the function's segment wins over what the others extracted.
        return CompositePropagator([chosen, LambdaPropagator()])
    return chosen
