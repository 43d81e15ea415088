"""Every read of another library's private attributes, each with its public fallback.

The OpenTelemetry SDK's public properties are Python-level calls, and its
``attributes``/``events``/``links`` build a mapping proxy or a tuple under a lock:
on the per-span paths the private fields cost a fraction. The readers here are C
getters (``operator.attrgetter``/``itemgetter``) or one function, so that the fast
path costs no extra Python call; each raises (or returns None) when the private
layout is not the one expected, and its caller then takes the public path. An SDK
release that renames one slows xraysink down and breaks nothing;
``tests/test_internals.py`` fails when a fast path silently stops being taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import NonRecordingSpan

from xraysink._types import SpanFields

try:
    from opentelemetry.sdk.trace import _Span as _SdkSpan
except ImportError:  # a release that renames it: every span takes the public path
    _SdkSpan = None  # type: ignore[assignment,misc]

#: Span types whose ``SpanContext`` ``CONTEXT_OF`` reads (the SDK's span and the API's
#: non-recording one); for any other type use ``Span.get_span_context()``.
CONTEXT_TYPES: Final = frozenset(kind for kind in (_SdkSpan, NonRecordingSpan) if kind is not None)
#: ``span -> SpanContext`` for ``CONTEXT_TYPES``: skips an ABC ``isinstance`` and a call.
CONTEXT_OF: Final = attrgetter("_context")
#: ``span -> (context, parent, kind, start_time)`` of a span being started (the SDK's
#: ``_Span``); raises ``AttributeError`` for another layout: read the properties then.
START_FIELDS: Final = attrgetter("_context", "_parent", "_kind", "_start_time")

_READABLE_FIELDS = itemgetter(
    "_name",
    "_context",
    "_parent",
    "_kind",
    "_start_time",
    "_end_time",
    "_status",
    "_resource",
    "_attributes",
    "_events",
    "_links",
)
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
    """A finished span's fields. The SDK's own ``ReadableSpan`` (what
    ``SpanProcessor.on_end`` receives) is read from its instance dictionary and its
    containers' inner data; a subclass, or a layout this does not know, through the
    public properties."""
    if type(span) is ReadableSpan:
        try:
            fields = _READABLE_FIELDS(vars(span))
            attributes, events, links = fields[8], fields[9], fields[10]
            event_kind, links_kind = type(events), type(links)
            # Most spans: a plain inner dict, no events, no links; tested inline.
            return (
                *fields[:8],
                attributes._dict
                if type(attributes) is BoundedAttributes and type(attributes._dict) is dict
                else _inner_attributes(attributes),
                () if event_kind is BoundedList and not events._dq else _inner_sequence(events),
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


def fast_path_taken(span: ReadableSpan) -> bool:
    """Whether ``read_span`` reads ``span`` from the SDK's private layout (for tests)."""
    try:
        _READABLE_FIELDS(vars(span))
    except (KeyError, TypeError):
        return False
    return type(span) is ReadableSpan


def wrap_send_request(wrapper: Any) -> bool:
    """Wrap ``http.client.HTTPConnection._send_request`` (where every request's
    headers are final, and where the X-Ray SDK's ``httplib`` patch sits) with the
    ``wrapt`` function wrapper ``wrapper``; False when the stdlib has no such method."""
    import http.client

    import wrapt

    if not callable(getattr(http.client.HTTPConnection, "_send_request", None)):
        return False
    wrapt.wrap_function_wrapper(http.client, "HTTPConnection._send_request", wrapper)
    return True


#: OpenTelemetry's suppress-instrumentation context keys (``opentelemetry.context``
#: keeps them private; every instrumentation checks them): set, the calls made under
#: them (the X-Ray API emitter's, the sampler's polls) are never traced. Empty when a
#: release renames them, and then those calls may be traced.
SUPPRESS_KEYS: Final = tuple(
    key
    for key in (
        getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", None),
        getattr(otel_context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None),
    )
    if key is not None
)


def untraced_context() -> otel_context.Context:
    """A context under which no OpenTelemetry instrumentation records (``SUPPRESS_KEYS``)."""
    context = otel_context.get_current()
    for key in SUPPRESS_KEYS:
        context = otel_context.set_value(key, True, context)
    return context


def tracing_suppressed() -> bool:
    """Whether the current context suppresses instrumentation (``SUPPRESS_KEYS``)."""
    return bool(SUPPRESS_KEYS) and bool(otel_context.get_value(SUPPRESS_KEYS[0]))
