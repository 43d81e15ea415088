"""The X-Ray SDK recorder API on OpenTelemetry spans .

aws_xray_sdk's extension point for where entities live is the recorder's context
(``xray_recorder.configure(context=...)``). :class:`RecorderBridge` is such a
context whose current entity is always the current OpenTelemetry span:

- ``put_segment``/``put_subsegment`` (``begin_segment``, ``begin_subsegment``,
  ``in_subsegment``, ``capture``, the SDK's patchers) start an OpenTelemetry span,
  make it current, and give the SDK entity that span's trace id and id;
- ``get_trace_entity`` returns that entity or, for a span started elsewhere
  (xraysink's middleware, an OpenTelemetry instrumentation), a stand-in entity with
  the span's ids, so ``current_segment()``, ``put_annotation()`` and the patchers'
  trace headers work everywhere;
- ``end_segment``/``end_subsegment`` end the span. What the SDK recorded on the
  entity reaches the span's document through :mod:`xraysink.xray_sdk.merge`.

Under the 1.6.2 call sites (the recorder set the pipeline up, so xraysink's span
processor is the only consumer) a subsegment is no OpenTelemetry span: the SDK
entity already holds everything it records, so the bridge gives it an id, makes a
non-recording span with that id current (OpenTelemetry spans started inside it are
its children) and hands its document to the span processor when it ends, which
embeds it in its segment's document as it does a child span's. That costs what
the X-Ray SDK itself costs for a subsegment, not an SDK entity plus a span.

The recorder never sends these entities itself: a bridged segment keeps one
reference on its ``ref_counter`` after it ends, so ``ready_to_send()`` stays
false, and no entity is ever added to a parent's ``subsegments``, so there is
nothing to stream. Every
span is sent once, by the span processor.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from aws_xray_sdk.core.models.dummy_entities import DummySegment, DummySubsegment
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.subsegment import Subsegment
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from xraysink._internals import tracing_suppressed
from xraysink._types import IS_REMOTE, IS_VALID, NAME_ATTRIBUTE, SPAN_ID
from xraysink._version import __version__
from xraysink.propagation.header import TraceHeader, format_id, format_trace_id, parse_trace_id
from xraysink.propagation.ids import XRayIdGenerator
from xraysink.propagation.keys import SPAN_KEY, span_context_of
from xraysink.propagation.propagator import start_span_with_header
from xraysink.translate.clean import entity_name
from xraysink.xray_sdk.merge import entities as recorded
from xraysink.xray_sdk.merge import merge_recorded

logger = logging.getLogger(__name__)

_tracer = trace.get_tracer("xraysink.xray_sdk.bridge", __version__)
# Ids for segments the recorder decided not to sample: they never reach the tracer.
_ids = XRayIdGenerator()

#: X-Ray SDK subsegment namespace -> span kind (the translator maps it back).
_KINDS = {"remote": SpanKind.CLIENT, "aws": SpanKind.CLIENT}


class _Open(NamedTuple):
    entity: Any
    span: trace.Span
    #: The OpenTelemetry context to restore when the entity ends.
    previous: otel_context.Context
    #: A subsegment without a span of its own: its document goes to ``_children``.
    spanless: bool = False
    #: ``_last`` when the entity began, if it answered for ``previous``: current again
    #: once the entity ends.
    outer: tuple[object, Any] = (None, None)


class Children(Protocol):
    """Where the documents of span-less subsegments go: ``XRaySpanProcessor``."""

    def start_entity(self, span_id: int, parent_id: int) -> None: ...

    def end_entity(self, span_id: int, entity: dict[str, Any]) -> None: ...


#: Set (by ``connect``) when xraysink's span processor is the only consumer of the
#: recorder's subsegments: they are then made without spans.
_children: Children | None = None


#: span id -> entity started through the bridge and not ended yet.
_open: dict[int, _Open] = {}

#: The last context ``get_trace_entity`` answered for, and its answer. A context is
#: immutable and every entity change attaches a new one (or restores the one current
#: before), so the same context object has the same entity; one tuple, replaced whole,
#: so threads never see a context with another's entity.
_last: tuple[object, Any] = (None, None)

# The recorder asks for the current segment right after ending it (to decide on
# sending it); by then its span is no longer current. Answered once.
_ended: contextvars.ContextVar[Any] = contextvars.ContextVar("xraysink_ended_segment", default=None)


def _ns(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1e9)


def _span_id(value: Any) -> int | None:
    try:
        span_id = int(value, 16) if isinstance(value, str) and len(value) == 16 else 0
    except ValueError:
        return None
    return span_id or None


def _give_ids(entity: Any, context: SpanContext) -> None:
    entity.trace_id = format_trace_id(context.trace_id)
    entity.id = format_id(context.span_id)


def _non_recording(trace_id: int) -> NonRecordingSpan:
    span_id = _ids.generate_span_id()
    return NonRecordingSpan(SpanContext(trace_id, span_id, False, TraceFlags(0)))


class RecorderBridge(Context):  # type: ignore[misc]
    """An aws_xray_sdk ``Context`` backed by the OpenTelemetry context.

    ``sdk_decides``: whether a segment's sampling decision is the recorder's (the
    1.6.2 set-up, ``sampling``/``sampler`` of ``xray_recorder.configure``) or the
    OpenTelemetry sampler's (``xraysink.configure``; then only an explicit
    ``sampling=0`` or a ``DummySegment`` forces "not sampled").
    """

    def __init__(self, context_missing: str = "LOG_ERROR", *, sdk_decides: bool = True) -> None:
        super().__init__(context_missing)
        self.sdk_decides = sdk_decides

    def put_segment(self, segment: Any) -> None:
        _ended.set(None)
        decided: bool | None = bool(segment.sampled)
        if decided and not self.sdk_decides:
            decided = None
        header = TraceHeader(
            parse_trace_id(segment.trace_id or "") or _ids.generate_trace_id(),
            _span_id(segment.parent_id),
            decided,
            False,
        )
        previous = otel_context.get_current()
        span = start_span_with_header(
            _tracer,
            segment.name,
            header,
            kind=SpanKind.SERVER,
            attributes={NAME_ATTRIBUTE: segment.name},
            start_time=_ns(segment.start_time),
        )
        self._begin(segment, span, previous)
        if not span.is_recording():
            segment.sampled = False

    def put_subsegment(self, subsegment: Any) -> None:
        parent_context = _current()[1]
        if not parent_context.is_valid:
            logger.warning("Active segment or subsegment not found. Discarded %s.", subsegment.name)
            return
        subsegment.parent_id = format_id(parent_context.span_id)
        # What Segment.add_subsegment counts, without the child list the recorder
        # would stream: the subsegment's close() takes it back.
        subsegment.parent_segment.ref_counter.increment()
        span: trace.Span
        # A sampled parent may be a NonRecordingSpan: set_trace_entity in a thread.
        if isinstance(subsegment, DummySubsegment) or not parent_context.trace_flags.sampled:
            span = _non_recording(parent_context.trace_id)
        elif _children is not None:
            self._begin_spanless(subsegment, parent_context, _children)
            return
        else:
            span = _tracer.start_span(
                subsegment.name,
                kind=_KINDS.get(subsegment.namespace, SpanKind.INTERNAL),
                attributes={NAME_ATTRIBUTE: subsegment.name},
                start_time=_ns(subsegment.start_time),
            )
        self._begin(subsegment, span, otel_context.get_current())

    def _begin_spanless(
        self, subsegment: Any, parent_context: SpanContext, children: Children
    ) -> None:
        span_id = _ids.generate_span_id()
        span = NonRecordingSpan(
            SpanContext(parent_context.trace_id, span_id, False, parent_context.trace_flags)
        )
        _give_ids(subsegment, span.get_span_context())
        global _last
        previous = otel_context.get_current()
        outer = _last if _last[0] is previous else (None, None)
        _open[span_id] = _Open(subsegment, span, previous, True, outer)
        children.start_entity(span_id, parent_context.span_id)
        current = trace.set_span_in_context(span, previous)
        otel_context.attach(current)
        _last = (current, subsegment)

    def _begin(self, entity: Any, span: trace.Span, previous: otel_context.Context) -> None:
        span_context = span.get_span_context()
        _give_ids(entity, span_context)
        _open[span_context.span_id] = _Open(entity, span, previous)
        if span.is_recording():
            recorded[span_context.span_id] = (entity, True)
        otel_context.attach(trace.set_span_in_context(span, previous))

    def end_segment(self, end_time: float | None = None) -> None:
        entity = self.get_trace_entity()
        if not entity:
            logger.warning("No segment to end")
            return
        segment = entity.parent_segment if self._is_subsegment(entity) else entity
        opened = _open.pop(_span_id(segment.id) or 0, None)
        if opened is None:
            # A stand-in: the segment's span belongs to whoever started it (the
            # middleware, an instrumentation) and ends with it.
            return
        segment.close(end_time)
        segment.ref_counter.increment()
        otel_context.attach(opened.previous)
        opened.span.end(_ns(segment.end_time))
        _ended.set(segment)

    def end_subsegment(self, end_time: float | None = None) -> bool:
        span_context = _current()[1]
        span_id = span_context[SPAN_ID]
        opened = _open.get(span_id) if span_context[IS_VALID] else None
        if opened is None or not self._is_subsegment(opened.entity):
            if not isinstance(self.get_trace_entity(), DummySegment):
                logger.warning("No subsegment to end.")
            return False
        global _last
        del _open[span_id]
        entity = opened.entity
        entity.close(end_time)
        otel_context.attach(opened.previous)
        _last = opened.outer
        if opened.spanless:
            children = _children
            if children is not None:
                children.end_entity(span_id, subsegment_document(entity))
        else:
            opened.span.end(_ns(entity.end_time))
        return True

    def get_trace_entity(self) -> Any:
        global _last
        current = otel_context.get_current()
        # The recorder asks 4 times per subsegment, the context unchanged in between.
        last_context, last_entity = _last
        if current is last_context:
            return last_entity
        span: Any = current.get(SPAN_KEY)
        span_context = span_context_of(span)
        # Not valid or remote: no entity of this process is current.
        if not span_context[IS_VALID] or span_context[IS_REMOTE]:
            ended = _ended.get()
            if ended is not None:
                _ended.set(None)
                return ended
            if tracing_suppressed():
                # Tracing is off here on purpose (an exporter's own calls): not an error.
                return None
            return super().get_trace_entity()
        span_id = span_context[SPAN_ID]
        opened = _open.get(span_id)
        if opened is not None:
            entity = opened.entity
        else:
            known = recorded.get(span_id)
            entity = known[0] if known is not None else _stand_in(span, span_context)
        _last = (current, entity)
        return entity

    def set_trace_entity(self, trace_entity: Any) -> None:
        """Make ``trace_entity`` (from ``get_trace_entity()`` elsewhere, e.g. before
        handing work to a thread) the current entity: its span becomes current."""
        span_id = _span_id(getattr(trace_entity, "id", None))
        trace_id = parse_trace_id(getattr(trace_entity, "trace_id", "") or "")
        if span_id is None or trace_id is None:
            super().set_trace_entity(trace_entity)
            return
        opened = _open.get(span_id)
        if opened is not None:
            span: trace.Span = opened.span
        else:
            flags = TraceFlags(TraceFlags.SAMPLED if trace_entity.sampled else 0)
            span = NonRecordingSpan(SpanContext(trace_id, span_id, False, flags))
        otel_context.attach(trace.set_span_in_context(span))

    def clear_trace_entities(self) -> None:
        """No current entity any more: the empty OpenTelemetry context becomes
        current (what a worker thread given ``set_trace_entity`` does when done)."""
        _ended.set(None)
        super().clear_trace_entities()
        otel_context.attach(otel_context.Context())


def _current() -> tuple[Any, SpanContext]:
    """The current context's span entry and its ``SpanContext``: the recorder asks for
    the current entity 4 times per subsegment. The entry is a ``Span`` whenever the
    ``SpanContext`` is valid; otherwise it may be anything, or ``None``."""
    span = otel_context.get_current().get(SPAN_KEY)
    return span, span_context_of(span)


def _stand_in(span: trace.Span, span_context: SpanContext) -> Any:
    """An SDK entity for a span started outside the bridge: a segment for a local
    root, else a subsegment of a stand-in for its local root (which gets what
    ``current_segment()`` records)."""
    name = str(getattr(span, "name", "") or "span")
    if not span_context.trace_flags.sampled:
        dummy = DummySegment(name)
        _give_ids(dummy, span_context)
        return dummy
    root_id = _local_root_id(span_context.span_id)
    if root_id is None or root_id == span_context.span_id:
        # Given a trace id, the SDK draws no random one (TraceId(): the clock, os.urandom).
        segment = Segment(
            name,
            entityid=format_id(span_context.span_id),
            traceid=format_trace_id(span_context.trace_id),
        )
        # Only a span the processor knows open will end through it and collect this.
        if root_id is not None:
            recorded[span_context.span_id] = (segment, False)
        return segment
    known = recorded.get(root_id)
    if known is not None:
        root = known[0]
    else:
        root = Segment(
            name, entityid=format_id(root_id), traceid=format_trace_id(span_context.trace_id)
        )
        recorded[root_id] = (root, False)
    kind = getattr(span, "kind", SpanKind.INTERNAL)
    namespace = "remote" if kind in (SpanKind.CLIENT, SpanKind.PRODUCER) else "local"
    subsegment = Subsegment(name, namespace, root)
    _give_ids(subsegment, span_context)
    parent = getattr(span, "parent", None)
    if parent is not None:
        subsegment.parent_id = format_id(parent.span_id)
    recorded[span_context.span_id] = (subsegment, False)
    return subsegment


def subsegment_document(subsegment: Any) -> dict[str, Any]:
    """The ``"type":"subsegment"`` document of an ended X-Ray SDK subsegment: the
    one its span would have been translated to (name cleaned to X-Ray's character
    set), with what the SDK recorded on it merged in (:mod:`xraysink.xray_sdk.merge`)."""
    document: dict[str, Any] = {
        "name": entity_name(subsegment.name) or "subsegment",
        "id": subsegment.id,
        "trace_id": subsegment.trace_id,
        "start_time": subsegment.start_time,
        "end_time": subsegment.end_time,
        "parent_id": subsegment.parent_id,
        "type": "subsegment",
    }
    merge_recorded(document, subsegment, True)
    return document


def _no_local_roots(span_id: int) -> int | None:
    return None


#: The span processor's ``local_root_id``: which open local root an open span is under.
_local_root_id: Callable[[int], int | None] = _no_local_roots


def connect(local_root_id: Callable[[int], int | None], children: Children | None = None) -> None:
    """Give the bridge the span processor's ``local_root_id`` (see
    ``XRaySpanProcessor.local_root_id``), which its stand-in entities need, and
    ``children``: the span processor when it is the only consumer of the recorder's
    subsegments (then made without spans), else None."""
    global _local_root_id, _children
    _local_root_id = local_root_id
    _children = children


def install(
    *,
    sdk_decides: bool,
    local_root_id: Callable[[int], int | None],
    children: Children | None = None,
) -> None:
    """Put a :class:`RecorderBridge` into aws_xray_sdk's global recorder unless it
    has one already (``AsyncContext``) or a context the user chose; in AWS Lambda,
    where the recorder starts with the SDK's ``LambdaContext``, a
    :class:`~xraysink.xray_sdk.lambda_context.LambdaBridge`. Without
    ``sdk_decides`` (the OpenTelemetry-first set-up) the OpenTelemetry sampler
    decides, so the recorder's own sampler, whose centralized rules poll the
    daemon, is turned off."""
    from aws_xray_sdk.core import xray_recorder

    connect(local_root_id, children)
    if type(xray_recorder.context) is LambdaContext:
        from xraysink.xray_sdk.lambda_context import LambdaBridge

        xray_recorder.context = LambdaBridge(sdk_decides=sdk_decides)
    elif type(xray_recorder.context) is Context:
        missing = xray_recorder.context.context_missing
        xray_recorder.context = RecorderBridge(missing, sdk_decides=sdk_decides)
        if not sdk_decides:
            xray_recorder.sampling = False
