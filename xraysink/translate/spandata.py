"""Reading a finished span's fields in one go.

Each ``ReadableSpan`` property is a Python-level call, and ``attributes``/``events``/
``links`` also build a mapping proxy or a tuple through the SDK's lock-taking
``__len__``/``__iter__``: on the reference machine the public reads of one span cost
about 2.5 µs, more than a third of a translation. For the SDK's own ``ReadableSpan``
(what ``SpanProcessor.on_end`` receives) the fields are read from the instance
dictionary and the containers' inner data; anything else (a subclass, another SDK
version whose layout differs) goes through the public properties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, SpanContext, SpanKind, Status

# (name, context, parent, kind, start_time, end_time, status, resource, attributes,
#  events, links): times in nanoseconds since the epoch or None; attributes a
#  read-only mapping (do not mutate it); events and links tuples.
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

_EMPTY: Mapping[Any, Any] = {}


def _inner_attributes(raw: Any) -> Mapping[Any, Any]:
    kind = type(raw)
    if kind is BoundedAttributes and type(raw._dict) is dict:
        inner: Mapping[Any, Any] = raw._dict
        return inner
    if kind is dict:
        return raw  # type: ignore[no-any-return]
    if raw is None:
        return _EMPTY
    raise TypeError("unexpected attributes container")


def _inner_sequence(raw: Any) -> Sequence[Any]:
    kind = type(raw)
    if kind is BoundedList:
        # The span is finished: its deque no longer changes.
        return tuple(raw._dq) if raw._dq else ()
    if kind is tuple:
        return raw  # type: ignore[no-any-return]
    raise TypeError("unexpected sequence container")


def read_span(span: ReadableSpan) -> SpanFields:
    """Return the span's fields as ``SpanFields``."""
    if type(span) is ReadableSpan:
        fields = vars(span)
        try:
            attributes = fields["_attributes"]
            events = fields["_events"]
            links = fields["_links"]
            events_kind, links_kind = type(events), type(links)
            return (
                fields["_name"],
                fields["_context"],
                fields["_parent"],
                fields["_kind"],
                fields["_start_time"],
                fields["_end_time"],
                fields["_status"],
                fields["_resource"],
                # Most spans: a plain inner dict, no events, no links; tested inline.
                attributes._dict
                if type(attributes) is BoundedAttributes and type(attributes._dict) is dict
                else _inner_attributes(attributes),
                () if events_kind is BoundedList and not events._dq else _inner_sequence(events),
                () if links_kind is BoundedList and not links._dq else _inner_sequence(links),
            )
        except (KeyError, AttributeError, TypeError):
            pass
    attributes = span.attributes
    return (
        span.name,
        span.context,
        span.parent,
        span.kind,
        span.start_time,
        span.end_time,
        span.status,
        span.resource,
        attributes if attributes is not None else _EMPTY,
        tuple(span.events),
        tuple(span.links),
    )
