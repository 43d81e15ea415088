"""The X-Ray SDK recorder as a source of settings, for the 1.6.2 call sites.

A user who only calls ``xray_recorder.configure(context=AsyncContext(), ...)``
keeps the recorder's rules: segment names from its ``service`` or dynamic naming,
sampling from its ``sampling`` flag and sampler, documents through its emitter,
and ``AWS_XRAY_SDK_ENABLED`` / ``global_sdk_config`` turning emission off.
Importing this module imports ``aws_xray_sdk.core`` (0.3-0.4 s: it builds the
global recorder and a botocore client), which the 1.6.2 call sites did anyway; the
OpenTelemetry-first path never imports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from xraysink._types import NAME_ATTRIBUTE, SAMPLING_RULE_ATTRIBUTE
from xraysink.emitters.base import DatagramEmitter, Document
from xraysink.emitters.udp import UDPDaemonEmitter


def sdk_enabled() -> bool:
    """``AWS_XRAY_SDK_ENABLED`` and ``global_sdk_config.set_sdk_enabled``."""
    return bool(global_sdk_config.sdk_enabled())


def segment_name(host: str | None = None) -> str:
    """The recorder's segment name for a request to ``host`` (X-Ray SDK
    ``calculate_segment_name``: dynamic naming when configured, else ``service``)."""
    if xray_recorder.dynamic_naming and host:
        return str(xray_recorder.dynamic_naming.get_name(host))
    return str(xray_recorder.service or "")


class RecorderEmitter(DatagramEmitter):
    """Sends through whatever emitter the recorder has at send time; nothing while
    the X-Ray SDK is disabled.

    The recorder's default emitter, aws_xray_sdk's ``UDPEmitter``, is not called:
    it looks the daemon host up on every send and logs every failure itself. Its
    address (``ip``/``port``, which ``AWS_XRAY_DAEMON_ADDRESS`` and
    ``xray_recorder.configure(daemon_address=...)`` set) is sent to through a
    :class:`~xraysink.emitters.udp.UDPDaemonEmitter` instead, so failures reach the span
    processor's stats and are logged once. A host name seen first at send time is
    looked up in the background (``DaemonUnresolved`` until then). Any other emitter
    set on the recorder gets ``send_entity`` calls.
    """

    def __init__(self) -> None:
        self._udp: UDPDaemonEmitter | None = None
        emitter = xray_recorder.emitter
        if type(emitter) is UDPEmitter:
            # Configuration time: a host name may be looked up here, not on a request.
            # An address that does not parse fails each send instead (counted).
            with contextlib.suppress(ValueError):
                self._udp = UDPDaemonEmitter(f"{emitter.ip}:{emitter.port}")

    def send(self, document: bytes) -> None:
        if not sdk_enabled():
            return
        emitter = xray_recorder.emitter
        if type(emitter) is not UDPEmitter:
            emitter.send_entity(Document(document.decode()))
            return
        udp = self._udp
        if udp is None or udp.host != emitter.ip or udp.port != emitter.port:
            self._udp = UDPDaemonEmitter(f"{emitter.ip}:{emitter.port}", resolve_in_background=True)
            if udp is not None:
                udp.close()
            udp = self._udp
        udp.send(document)


class RecorderSampler(Sampler):
    """Root sampling decision by the recorder (X-Ray SDK
    ``calculate_sampling_decision`` without the header part, which
    :class:`xraysink.sampling.sampler.XRaySampler` handles): ``sampling=False`` samples
    everything, otherwise the recorder's sampler (local or centralized rules)
    decides on host, method, path and service. A disabled SDK samples nothing."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if not sdk_enabled():
            return SamplingResult(Decision.DROP, None, trace_state)
        if not xray_recorder.sampling:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        decision = xray_recorder.sampler.should_trace(_sampling_request(attributes or {}))
        if not decision:
            return SamplingResult(Decision.DROP, None, trace_state)
        if isinstance(decision, str):
            # A centralized rule's name: the segment records it, as the SDK's does.
            attributes = {**(attributes or {}), SAMPLING_RULE_ATTRIBUTE: decision}
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)

    def get_description(self) -> str:
        return "RecorderSampler"


def _sampling_request(attributes: Any) -> dict[str, Any]:
    host = attributes.get("server.address") or attributes.get("http.host")
    return {
        "host": host,
        "method": attributes.get("http.request.method") or attributes.get("http.method"),
        "path": attributes.get("url.path") or attributes.get("http.target"),
        "service": attributes.get(NAME_ATTRIBUTE) or segment_name(host),
    }
