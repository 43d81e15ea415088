"""Names shared along the data path: the document dict, a span's fields, SpanContext parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event
from opentelemetry.trace import Link, SpanContext, SpanKind, Status

#: One X-Ray segment or subsegment document as a dict (X-Ray segment document spec):
#: what the translator builds, the assembler nests and the serializer encodes.
Entity = dict[str, Any]


#: A finished span's fields, read once (``translate.spandata.read_span``), by the index
#: names below: times are nanoseconds since the epoch or None; the attributes a
#: read-only mapping (do not mutate it); events and links sequences. A plain tuple
#: with ``Final`` index names rather than a NamedTuple: its attribute reads are
#: generic lookups, and the per-span path reads a dozen (~3,000 instructions a span).
SpanFields = tuple[
    Any,
    SpanContext | None,
    SpanContext | None,
    SpanKind,
    int | None,
    int | None,
    Status,
    Resource | None,
    Mapping[Any, Any],
    Sequence[Event],
    Sequence[Link],
]
NAME: Final = 0
CONTEXT: Final = 1
PARENT: Final = 2
KIND: Final = 3
START_TIME: Final = 4
END_TIME: Final = 5
STATUS: Final = 6
RESOURCE: Final = 7
ATTRIBUTES: Final = 8
EVENTS: Final = 9
LINKS: Final = 10

#: Span attribute naming the X-Ray entity (set by the middleware, the task decorator and
#: the recorder bridge); wins over every other name source.
NAME_ATTRIBUTE: Final = "xraysink.name"
#: Span attribute forcing the subsegment ``namespace`` (``local`` for tasks).
NAMESPACE_ATTRIBUTE: Final = "xraysink.namespace"

#: Span attribute naming the sampling rule that sampled a new trace; the segment
#: records it as ``aws.xray.sampling_rule_name`` (X-Ray SDK ``Segment.set_rule_name``).
SAMPLING_RULE_ATTRIBUTE: Final = "aws.xray.sampling_rule_name"

# SpanContext is a tuple (trace_id, span_id, is_remote, trace_flags, trace_state,
# is_valid); its properties are Python-level calls, so the per-span paths index it.
TRACE_ID: Final = 0
SPAN_ID: Final = 1
IS_REMOTE: Final = 2
TRACE_FLAGS: Final = 3
TRACE_STATE: Final = 4
IS_VALID: Final = 5
