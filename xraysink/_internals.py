"""Every read of another library's private attributes, each with its public fallback.

The OpenTelemetry SDK's public properties are Python-level calls, and its
``attributes``/``events``/``links`` build a mapping proxy or a tuple under a lock:
on the per-span paths the private fields cost a fraction. Each reader returns None
(or takes the public path) when the private layout is not the one expected, so an
SDK release that renames one slows xraysink down and breaks nothing;
``tests/test_internals.py`` fails when a fast path silently stops being taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind

from xraysink._types import SpanFields

try:
    from opentelemetry.sdk.trace import _Span as _SdkSpan
except ImportError:  # a release that renames it: every span takes the public path
    _SdkSpan = None  # type: ignore[assignment,misc]

_EMPTY: Mapping[Any, Any] = {}


def span_context_fast(value: object) -> SpanContext | None:
    """The ``SpanContext`` of the SDK's span or the API's non-recording span, read
    from ``_context`` (skips an ABC ``isinstance`` and a method call); None for
    anything else, which then takes ``Span.get_span_context()``."""
    kind = type(value)
    if kind is _SdkSpan or kind is NonRecordingSpan:
        context = getattr(value, "_context", None)
        if type(context) is SpanContext:
            return context
    return None


def start_fields(span: Any) -> tuple[SpanContext | None, SpanContext | None, SpanKind, int | None]:
    """``(context, parent, kind, start_time)`` of a span being started, in ns; the
    SDK's own fields, else the public properties."""
    try:
        return span._context, span._parent, span._kind, span._start_time
    except AttributeError:
        return span.get_span_context(), span.parent, span.kind, span.start_time


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


def read_span_fast(span: ReadableSpan) -> SpanFields | None:
    """The fields of the SDK's own ``ReadableSpan`` (what ``SpanProcessor.on_end``
    receives) from its instance dictionary and its containers' inner data; None for
    a subclass or a layout this does not know, which then takes the properties."""
    if type(span) is not ReadableSpan:
        return None
    fields = vars(span)
    try:
        attributes = fields["_attributes"]
        events = fields["_events"]
        links = fields["_links"]
        events_kind, links_kind = type(events), type(links)
        return SpanFields(
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
        return None


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
