"""The X-Ray-style sampler: the caller's decision wins, otherwise a root policy decides.

X-Ray SDK rule (``aws_xray_sdk.ext.util.calculate_sampling_decision``): an incoming
``Sampled=1``/``0`` is obeyed; ``Sampled=?`` or no decision leaves it to this service.
OpenTelemetry's ``ParentBased`` cannot express "undecided", so this sampler reads the
parsed header that :mod:`xraysink.propagator` leaves in the context.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from xraysink.propagator import HEADER_KEY
from xraysink.trace_header import TraceHeader

_SAMPLE = Decision.RECORD_AND_SAMPLE


class XRaySampler(Sampler):
    """Parent-based sampling with X-Ray's undecided state.

    - local parent: follow it;
    - remote parent or trace header with ``Sampled=1``/``0``: follow it;
    - ``Sampled=?``, no ``Sampled``, or no parent at all: ``root`` decides
      (``ALWAYS_ON`` by default).
    """

    def __init__(self, root: Sampler = ALWAYS_ON) -> None:
        self.root = root

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
        parent = trace.get_current_span(parent_context).get_span_context()
        header = parent_context.get(HEADER_KEY) if parent_context is not None else None
        decided: bool | None = None
        if parent.is_valid and not parent.is_remote:
            decided = parent.trace_flags.sampled
        elif isinstance(header, TraceHeader):
            decided = header.sampled
        elif parent.is_valid:
            decided = parent.trace_flags.sampled
        if decided is None:
            return self.root.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        state = parent.trace_state if parent.is_valid else trace_state
        if decided:
            return SamplingResult(_SAMPLE, attributes, state)
        return SamplingResult(Decision.DROP, None, state)

    def get_description(self) -> str:
        return f"XRaySampler{{root={self.root.get_description()}}}"
