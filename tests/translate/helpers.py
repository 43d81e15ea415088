"""Real OTel SDK spans for the translator tests, and a SPEC §6 check of the output."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from xraysink.translate import translate_span

TRACE_ID = 0x5759E988BD862E3FE1BE46A994272793
SPAN_ID = 0x53995C3F42CD8AD8
PARENT_ID = 0x1122334455667788
START_NS = 1_700_000_000_123_456_789
END_NS = 1_700_000_000_623_456_789

# A fixed resource (no detectors, no random service.instance.id).
RESOURCE = Resource(
    {
        "service.name": "shop",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "python",
        "telemetry.sdk.version": "1.45.2",
    }
)


def context(span_id: int = SPAN_ID, trace_id: int = TRACE_ID, remote: bool = False) -> SpanContext:
    return SpanContext(trace_id, span_id, remote, TraceFlags(TraceFlags.SAMPLED))


def span(
    name: str = "operation",
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    resource: Resource = RESOURCE,
    parent: SpanContext | None = None,
    events: Sequence[Event] = (),
    links: Sequence[Link] = (),
    status: Status | None = None,
    start: int | None = START_NS,
    end: int | None = END_NS,
    span_id: int = SPAN_ID,
) -> ReadableSpan:
    """A ``ReadableSpan`` built directly, with every field under the test's control."""
    return ReadableSpan(
        name=name,
        context=context(span_id),
        parent=parent,
        resource=resource,
        attributes=dict(attributes or {}),
        events=tuple(events),
        links=tuple(links),
        kind=kind,
        status=status or Status(StatusCode.UNSET),
        start_time=start,
        end_time=end,
    )


def server(attributes: Mapping[str, Any] | None = None, **kwargs: Any) -> ReadableSpan:
    return span("GET /items/{id}", kind=SpanKind.SERVER, attributes=attributes, **kwargs)


def child(attributes: Mapping[str, Any] | None = None, **kwargs: Any) -> ReadableSpan:
    kwargs.setdefault("parent", context(PARENT_ID))
    kwargs.setdefault("kind", SpanKind.INTERNAL)
    return span(attributes=attributes, **kwargs)


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


@contextmanager
def recorded(resource: Resource = RESOURCE) -> Iterator[tuple[Any, list[ReadableSpan]]]:
    """A tracer of a real ``TracerProvider`` and the ReadableSpans its processor receives."""
    provider = TracerProvider(resource=resource)
    collect = _Collect()
    provider.add_span_processor(collect)
    try:
        yield provider.get_tracer("tests.translate"), collect.spans
    finally:
        provider.shutdown()


def one(span: ReadableSpan, **kwargs: Any) -> dict[str, Any]:
    """Translate a span that gives exactly one entity, checked against SPEC §6."""
    entities = translate_span(span, **kwargs)
    assert len(entities) == 1
    check(entities[0])
    return entities[0]


_ID = re.compile(r"[0-9a-f]{16}")
_TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
_ANNOTATION_KEY = re.compile(r"[A-Za-z0-9_.]{1,500}")
_NAME_SYMBOLS = set(" _.:/%&#=+\\-@")


def _finite(value: Any, where: str) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, Mapping):
        for key, item in value.items():
            assert isinstance(key, str), where
            _finite(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _finite(item, f"{where}[{index}]")


def check(entity: Mapping[str, Any]) -> None:
    """Assert what X-Ray accepts (SPEC §6) and that orjson encodes it losslessly."""
    name = entity["name"]
    assert 1 <= len(name) <= 200
    assert all(char.isalnum() or char.isspace() or char in _NAME_SYMBOLS for char in name), name
    assert _ID.fullmatch(entity["id"])
    assert _TRACE_ID.fullmatch(entity["trace_id"])
    if "parent_id" in entity:
        assert _ID.fullmatch(entity["parent_id"])
    assert isinstance(entity["start_time"], float)
    assert entity["end_time"] >= entity["start_time"]
    annotations = entity.get("annotations", {})
    assert len(annotations) <= 50
    for key, value in annotations.items():
        assert _ANNOTATION_KEY.fullmatch(key), key
        assert type(value) in (str, int, float, bool), (key, value)
    if "namespace" in entity:
        assert entity["namespace"] in ("aws", "remote", "local")
    _finite(entity, "entity")
    assert orjson.loads(orjson.dumps(entity)) == entity
