"""Names shared along the data path: the document dict, a span's fields, SpanContext parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event
from opentelemetry.trace import Link, SpanContext, SpanKind, Status

#: One X-Ray segment or subsegment document as a dict (X-Ray segment document spec):
#: what the translator builds, the assembler nests and the serializer encodes.
Entity = dict[str, Any]


class SpanFields(NamedTuple):
    """A finished span's fields, read once (``translate.spandata.read_span``).

    Times are nanoseconds since the epoch, or None; ``attributes`` is a read-only
    mapping (do not mutate it); ``events`` and ``links`` are sequences.
    """

    name: Any
    context: SpanContext | None
    parent: SpanContext | None
    kind: SpanKind
    start_time: int | None
    end_time: int | None
    status: Status
    resource: Resource | None
    attributes: Mapping[Any, Any]
    events: Sequence[Event]
    links: Sequence[Link]


#: Span attribute naming the X-Ray entity (set by the middleware, the task decorator and
#: the recorder bridge); wins over every other name source.
NAME_ATTRIBUTE: Final = "xraysink.name"
#: Span attribute forcing the subsegment ``namespace`` (``local`` for tasks).
NAMESPACE_ATTRIBUTE: Final = "xraysink.namespace"

# SpanContext is a tuple (trace_id, span_id, is_remote, trace_flags, trace_state,
# is_valid); its properties are Python-level calls, so the per-span paths index it.
TRACE_ID: Final = 0
SPAN_ID: Final = 1
IS_REMOTE: Final = 2
TRACE_FLAGS: Final = 3
IS_VALID: Final = 5
