"""The X-Ray-style sampler: the caller's decision wins, otherwise a root policy decides.

X-Ray SDK rule (``aws_xray_sdk.ext.util.calculate_sampling_decision``): an incoming
``Sampled=1``/``0`` is obeyed; ``Sampled=?`` or no decision leaves it to this service.
OpenTelemetry's ``ParentBased`` cannot express "undecided", so this sampler reads the
parsed header that :mod:`xraysink.propagation.propagator` leaves in the context.

Obeying ``Sampled=1`` from any caller lets anyone on the internet force 100%
sampling, and its cost: ``trust_incoming_sampling=False`` (or
``XRAYSINK_TRUST_INCOMING_SAMPLING=false`` in the environment) makes an incoming
decision count as undecided, so the root policy decides every request.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context, get_current
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from xraysink import environment
from xraysink._types import IS_REMOTE, IS_VALID, TRACE_FLAGS, TRACE_STATE
from xraysink.propagation.header import TraceHeader
from xraysink.propagation.keys import HEADER_KEY, SPAN_KEY, span_context_of

TRUST_ENV = environment.XRAYSINK_TRUST_INCOMING_SAMPLING

_SAMPLE = Decision.RECORD_AND_SAMPLE
_DROP = Decision.DROP


def trust_from_env() -> bool:
    """``XRAYSINK_TRUST_INCOMING_SAMPLING`` as a bool (``environment.get_bool``,
    default True). Raises ``ValueError`` naming the variable for a malformed value."""
    return environment.get_bool(TRUST_ENV, True)


class XRaySampler(Sampler):
    """Parent-based sampling with X-Ray's undecided state.

    - local parent: follow it;
    - remote parent or trace header with ``Sampled=1``/``0``: follow it, unless
      ``trust_incoming_sampling`` is False;
    - ``Sampled=?``, no ``Sampled``, an untrusted incoming decision, or no parent at
      all: ``root`` decides (``ALWAYS_ON`` by default). ``root`` should be a root
      policy (ratio, rules), not a ``ParentBased`` one: for an untrusted remote
      parent it sees the context without that parent.

    ``trust_incoming_sampling``: None (default) reads ``XRAYSINK_TRUST_INCOMING_SAMPLING``
    (see :func:`trust_from_env`, True when unset: the X-Ray SDK behaviour). Raises
    ``ValueError`` for a malformed value of that variable.
    """

    def __init__(
        self, root: Sampler = ALWAYS_ON, trust_incoming_sampling: bool | None = None
    ) -> None:
        self.root = root
        self.trust_incoming_sampling = (
            trust_from_env() if trust_incoming_sampling is None else trust_incoming_sampling
        )

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
        # The SDK passes None when start_span was given no context: the current one.
        context = parent_context if parent_context is not None else get_current()
        # trace.get_current_span(context).get_span_context(), in one call.
        parent = span_context_of(context.get(SPAN_KEY))
        # A valid local parent, every child span's case, is decided first.
        if parent[IS_VALID] and not parent[IS_REMOTE]:
            if parent[TRACE_FLAGS] & 1:
                return SamplingResult(_SAMPLE, attributes, parent[TRACE_STATE])
            return SamplingResult(_DROP, None, parent[TRACE_STATE])
        header = context.get(HEADER_KEY)
        decided: bool | None = None
        if not self.trust_incoming_sampling:
            if parent.is_valid:
                # Without the remote parent, a ParentBased root cannot follow its flag.
                parent_context = trace.set_span_in_context(trace.INVALID_SPAN, parent_context)
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
        return SamplingResult(_DROP, None, state)

    def get_description(self) -> str:
        trust = "" if self.trust_incoming_sampling else ",trust_incoming_sampling=False"
        return f"XRaySampler{{root={self.root.get_description()}{trust}}}"
