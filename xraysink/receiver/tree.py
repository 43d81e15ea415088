"""Group received documents into traces and draw each trace as an indented text tree.

Linking follows the X-Ray segment document spec: a subsegment embedded in ``subsegments``
belongs to the entity that embeds it; any other entity names its parent in ``parent_id``.
A segment whose parent never arrived is a root (its parent is a caller in a service that
may not report here); a subsegment whose parent never arrived is an orphan, listed under
its trace and marked. When one id arrives several times, the last one arrived is drawn,
as X-Ray keeps the last document for an id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_TRACE_ID = ""
"""Trace key for documents without a string ``trace_id`` (which X-Ray rejects)."""

_INDENT = "  "


@dataclass(eq=False)
class Node:
    """One segment or subsegment as received.

    ``doc`` is the entity's own JSON object (its ``subsegments`` included, as received);
    ``id`` is ``None`` when the document has no string id; ``parent_id`` is the embedding
    entity's id for embedded subsegments, else the document's ``parent_id``;
    ``embedded_in`` is the entity whose ``subsegments`` held this one; ``parent`` is the
    entity it is drawn under (``None`` for a root, an orphan or a repeat not drawn),
    ``children`` those drawn under it, by start time; ``arrival`` is the index of the
    document that carried it; ``copies`` counts arrivals of this id so far;
    ``orphan_reason`` is empty unless the entity is drawn as an orphan.
    """

    doc: Mapping[str, Any] = field(repr=False)
    trace_id: str
    id: str | None
    parent_id: str | None
    is_segment: bool
    embedded_in: Node | None = field(repr=False)
    arrival: int
    children: list[Node] = field(default_factory=list, repr=False)
    parent: Node | None = field(default=None, repr=False)
    copies: int = 1
    orphan_reason: str = ""

    @property
    def name(self) -> str:
        """The ``name`` field as text (``"?"`` when missing)."""
        name = self.doc.get("name")
        return name if isinstance(name, str) else "?"

    @property
    def start_time(self) -> float | None:
        """``start_time`` in epoch seconds, or ``None`` when it is not a finite number."""
        return finite_number(self.doc.get("start_time"))

    @property
    def end_time(self) -> float | None:
        """``end_time`` in epoch seconds, or ``None`` when it is not a finite number."""
        return finite_number(self.doc.get("end_time"))

    @property
    def duration_ms(self) -> float | None:
        """``end_time - start_time`` in milliseconds, ``None`` when either is unusable."""
        start, end = self.start_time, self.end_time
        return None if start is None or end is None else (end - start) * 1000.0


@dataclass(eq=False)
class Trace:
    """The entities of one ``trace_id``, linked into trees.

    ``entities`` holds every entity occurrence in arrival order, duplicates included (so
    ``entity_count`` can be compared with a number of spans); ``roots`` and ``orphans``
    hold the drawn entities without a drawn parent, ordered by start time.
    """

    trace_id: str
    entities: list[Node] = field(default_factory=list)
    roots: list[Node] = field(default_factory=list)
    orphans: list[Node] = field(default_factory=list)

    @property
    def entity_count(self) -> int:
        """Segments plus subsegments (embedded or independent) received for this trace."""
        return len(self.entities)

    def named(self, name: str) -> list[Node]:
        """Every received entity called ``name``, in arrival order."""
        return [entity for entity in self.entities if entity.name == name]


def finite_number(value: Any) -> float | None:
    """``value`` as a float when it is a finite int or float (not a bool), else ``None``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _flatten(doc: Mapping[str, Any], arrival: int) -> list[Node]:
    trace_id = doc.get("trace_id")
    trace_key = trace_id if isinstance(trace_id, str) else NO_TRACE_ID
    found = [
        Node(
            doc=doc,
            trace_id=trace_key,
            id=_string(doc.get("id")),
            parent_id=_string(doc.get("parent_id")),
            is_segment=doc.get("type") != "subsegment",
            embedded_in=None,
            arrival=arrival,
        )
    ]
    # Iterative: embedding depth is bounded only by the document size.
    for parent in found:
        children = parent.doc.get("subsegments")
        if not isinstance(children, list):
            continue
        found.extend(
            Node(
                doc=child,
                trace_id=trace_key,
                id=_string(child.get("id")),
                parent_id=parent.id,
                is_segment=False,
                embedded_in=parent,
                arrival=arrival,
            )
            for child in children
            if isinstance(child, Mapping)
        )
    return found


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_Key = tuple[str, object]


def _key(entity: Node) -> _Key:
    # Entities without an id cannot be repeats of one another: each is keyed by itself.
    return ("id", entity.id) if entity.id is not None else ("object", id(entity))


def _parent_key(entity: Node) -> _Key | None:
    if entity.embedded_in is not None:
        return _key(entity.embedded_in)
    return ("id", entity.parent_id) if entity.parent_id is not None else None


def _sort_key(entity: Node) -> tuple[float, int]:
    start = entity.start_time
    return (math.inf if start is None else start, entity.arrival)


def _link(trace: Trace) -> None:
    drawn: dict[_Key, Node] = {}
    for entity in trace.entities:
        key = _key(entity)
        previous = drawn.pop(key, None)
        entity.copies = previous.copies + 1 if previous else 1
        drawn[key] = entity
    for entity in drawn.values():
        parent_key = _parent_key(entity)
        parent = drawn.get(parent_key) if parent_key else None
        if parent is not None and not _is_above(entity, parent):
            parent.children.append(entity)
            entity.parent = parent
        elif entity.is_segment:
            trace.roots.append(entity)
        else:
            entity.orphan_reason = (
                f"orphan: parent {entity.parent_id} not received"
                if parent is None
                else f"orphan: parent {entity.parent_id} descends from it"
            )
            trace.orphans.append(entity)
    for entity in drawn.values():
        entity.children.sort(key=_sort_key)
    trace.roots.sort(key=_sort_key)
    trace.orphans.sort(key=_sort_key)


def _is_above(entity: Node, parent: Node) -> bool:
    """True when ``entity`` is already an ancestor of ``parent``: linking would loop."""
    current: Node | None = parent
    while current is not None:
        if current is entity:
            return True
        current = current.parent
    return False


def build_traces(documents: Iterable[Mapping[str, Any]]) -> dict[str, Trace]:
    """Group decoded segment documents by ``trace_id`` and link each trace's entities.

    ``documents`` are segments and independent subsegments in arrival order (valid or
    not; non-objects are skipped). Returns ``{trace_id: Trace}`` in order of each trace's
    first arrival; documents without a string ``trace_id`` share the key ``NO_TRACE_ID``.
    """
    traces: dict[str, Trace] = {}
    for arrival, doc in enumerate(documents):
        if not isinstance(doc, Mapping):
            continue
        for entity in _flatten(doc, arrival):
            traces.setdefault(entity.trace_id, Trace(entity.trace_id)).entities.append(entity)
    for trace in traces.values():
        _link(trace)
    return traces


def entities_per_trace(documents: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """``{trace_id: number of entities received}``, each embedded subsegment counted."""
    return {trace_id: trace.entity_count for trace_id, trace in build_traces(documents).items()}


def describe(entity: Node) -> str:
    """One line for ``entity``: name, duration in ms, HTTP method, URL and status,
    ``error``/``fault``/``throttle`` flags, annotations, then markers for an in-progress,
    repeated or orphaned entity."""
    doc = entity.doc
    parts = [entity.name]
    duration = entity.duration_ms
    if duration is not None:
        parts.append(f"{duration:.3f} ms")
    elif doc.get("in_progress") is True:
        parts.append("in progress")
    http = doc.get("http")
    if isinstance(http, Mapping):
        request = http.get("request")
        response = http.get("response")
        request = request if isinstance(request, Mapping) else {}
        response = response if isinstance(response, Mapping) else {}
        shown = [request.get("method"), request.get("url"), response.get("status")]
        http_text = " ".join(str(value) for value in shown if value is not None)
        if http_text:
            parts.append(http_text)
    flags = [flag for flag in ("error", "fault", "throttle") if doc.get(flag) is True]
    if flags:
        parts.append(" ".join(flags))
    annotations = doc.get("annotations")
    if isinstance(annotations, Mapping) and annotations:
        pairs = (f"{key}={json.dumps(value, default=str)}" for key, value in annotations.items())
        parts.append("{" + ", ".join(pairs) + "}")
    if entity.copies > 1:
        parts.append(f"(id {entity.id} received {entity.copies} times, last drawn)")
    if entity.orphan_reason:
        parts.append(f"({entity.orphan_reason})")
    return "  ".join(parts)


def drawn(trace: Trace) -> Iterator[tuple[int, Node]]:
    """``(depth, entity)`` for each drawn entity of ``trace``, depth first: the roots, then
    the orphans, each at depth 0 and followed by its children (ordered by start time) one
    level deeper. Repeats of an id other than the last arrived are not drawn."""
    # Iterative: nesting depth is bounded only by the documents received.
    stack = [(0, entity) for entity in reversed(trace.roots + trace.orphans)]
    while stack:
        depth, entity = stack.pop()
        yield depth, entity
        stack.extend((depth + 1, child) for child in reversed(entity.children))


def render_trace(trace: Trace) -> str:
    """The trace as text: a header line ``trace <trace_id> (<n> entities)``, then one
    ``describe`` line per drawn entity, indented two spaces per level, children ordered
    by start time; orphans follow the roots. No trailing newline."""
    title = trace.trace_id or "(no trace_id)"
    noun = "entity" if trace.entity_count == 1 else "entities"
    lines = [f"trace {title} ({trace.entity_count} {noun})"]
    # One level deeper than the header.
    lines.extend(_INDENT * (depth + 1) + describe(entity) for depth, entity in drawn(trace))
    return "\n".join(lines)
