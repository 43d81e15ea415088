"""View data for the local trace viewer, built from ``receiver.tree``'s ``Trace``.

Each function returns plain JSON-ready data (dicts, lists, strings, numbers) for the page:
``summarize`` a row of the trace list, ``waterfall`` one trace's rows, ``service_map`` the
nodes and edges of many traces, ``rejected`` one datagram X-Ray would reject. Times stay
in epoch seconds; offsets and durations are in milliseconds. Field values come from
untrusted documents and are passed on as data, never as markup: the page shows them as
text.

The map follows the X-Ray service graph: one node per segment name and ``origin``, a
client node for callers that do not report, one node per downstream call (a ``remote``
or ``aws`` subsegment) whose callee sent no segment of its own, and one edge per caller
and callee pair with the calls' count and error, fault and throttle counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from xraysink.receiver.record import Received
from xraysink.receiver.report import render_problems
from xraysink.receiver.tree import Node, Trace, drawn, finite_number

CLIENT = "client"
"""Node type of the callers of root segments (a user, or a service not reporting here)."""

_FLAGS = ("error", "fault", "throttle")
_DOWNSTREAM = frozenset({"remote", "aws"})


def _scalar(value: Any) -> str | int | float | bool | None:
    if isinstance(value, (str, bool, int)) or finite_number(value) is not None:
        return value  # type: ignore[no-any-return]
    return None


def _block(doc: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    current: Any = doc
    for key in path:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def _http(doc: Mapping[str, Any]) -> dict[str, Any]:
    request = _block(doc, "http", "request")
    response = _block(doc, "http", "response")
    return {
        "method": _scalar(request.get("method")),
        "url": _scalar(request.get("url")),
        "status": _scalar(response.get("status")),
    }


def _flags(doc: Mapping[str, Any]) -> dict[str, bool]:
    return {flag: doc.get(flag) is True for flag in _FLAGS}


def summarize(trace: Trace) -> dict[str, Any]:
    """One row of the trace list.

    Keys: ``trace_id``; ``start`` (earliest start, epoch s, ``None`` if none is usable);
    ``duration_ms`` (earliest start to latest end); ``response_ms`` (the root segment's
    own duration); ``name``, ``method``, ``url``, ``status`` of the root segment (the
    earliest root, else the earliest orphan); ``error``/``fault``/``throttle`` when any
    entity has the flag (X-Ray's HasError/HasFault/HasThrottle); ``in_progress`` when
    any entity is; ``entities`` (every entity received, repeats included); ``names``
    (every entity name) and ``services`` (segment names), sorted; ``annotations`` as
    ``{key: [distinct values]}`` over all entities.
    """
    shown = [entity for _, entity in drawn(trace)]
    root = shown[0] if shown else None
    starts = [s for e in shown if (s := e.start_time) is not None]
    ends = [t for e in shown if (t := e.end_time) is not None]
    annotations: dict[str, list[Any]] = {}
    for entity in shown:
        block = entity.doc.get("annotations")
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = annotations.setdefault(str(key), [])
            if _scalar(value) is not None and value not in values:
                values.append(value)
    return {
        "trace_id": trace.trace_id,
        "start": min(starts) if starts else None,
        "duration_ms": (max(ends) - min(starts)) * 1000.0 if starts and ends else None,
        "response_ms": root.duration_ms if root else None,
        "name": root.name if root else "?",
        **(_http(root.doc) if root else {"method": None, "url": None, "status": None}),
        **{flag: any(e.doc.get(flag) is True for e in shown) for flag in _FLAGS},
        "in_progress": any(e.doc.get("in_progress") is True for e in shown),
        "entities": trace.entity_count,
        "names": sorted({e.name for e in shown}),
        "services": sorted({e.name for e in shown if e.is_segment}),
        "annotations": annotations,
    }


def _kind(entity: Node) -> str:
    if entity.embedded_in is not None:
        return "embedded"
    return "segment" if entity.is_segment else "independent"


def waterfall(trace: Trace) -> dict[str, Any]:
    """One trace as timeline rows, in the text tree's order (parents before children).

    Returns ``{"trace_id", "start", "end", "duration_ms", "entities", "rows"}``:
    ``start``/``end`` in epoch seconds span every known time (an in-progress entity
    runs to ``end``); each row has ``id``, ``name``, ``depth``, ``kind`` (``segment``,
    ``embedded`` or ``independent`` subsegment), ``offset_ms`` from ``start``,
    ``duration_ms`` (``None`` in progress or unknown), ``in_progress``, the flags,
    ``method``/``url``/``status``, ``namespace``, ``origin``, ``orphan`` (why it has no
    drawn parent, else empty), ``copies`` (arrivals of its id) and ``fields`` (the
    entity's own document without its embedded ``subsegments``).
    """
    placed = list(drawn(trace))
    times = [t for _, e in placed for t in (e.start_time, e.end_time) if t is not None]
    start = min(times) if times else None
    end = max(times) if times else None
    rows = []
    for depth, entity in placed:
        doc = entity.doc
        entity_start = entity.start_time
        rows.append(
            {
                "id": entity.id,
                "name": entity.name,
                "depth": depth,
                "kind": _kind(entity),
                "offset_ms": (
                    (entity_start - start) * 1000.0
                    if entity_start is not None and start is not None
                    else None
                ),
                "duration_ms": entity.duration_ms,
                "in_progress": doc.get("in_progress") is True,
                **_flags(doc),
                **_http(doc),
                "namespace": _scalar(doc.get("namespace")),
                "origin": _scalar(doc.get("origin")),
                "orphan": entity.orphan_reason,
                "copies": entity.copies,
                "fields": {key: value for key, value in doc.items() if key != "subsegments"},
            }
        )
    return {
        "trace_id": trace.trace_id,
        "start": start,
        "end": end,
        "duration_ms": (end - start) * 1000.0 if start is not None and end is not None else None,
        "entities": trace.entity_count,
        "rows": rows,
    }


class _Tally:
    """Calls (or requests) counted with their flags and total duration."""

    def __init__(self) -> None:
        self.count = 0
        self.flags = dict.fromkeys(_FLAGS, 0)
        self.total_ms = 0.0
        self.timed = 0

    def add(self, entity: Node | None) -> None:
        self.count += 1
        if entity is None:
            return
        for flag in _FLAGS:
            self.flags[flag] += entity.doc.get(flag) is True
        duration = entity.duration_ms
        if duration is not None:
            self.total_ms += duration
            self.timed += 1

    def view(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "errors": self.flags["error"],
            "faults": self.flags["fault"],
            "throttles": self.flags["throttle"],
            "average_ms": self.total_ms / self.timed if self.timed else None,
        }


_NodeKey = tuple[str, str]


def _segment_node(entity: Node) -> _NodeKey:
    origin = entity.doc.get("origin")
    return (entity.name, origin if isinstance(origin, str) else "service")


def service_map(traces: Iterable[Trace]) -> dict[str, Any]:
    """The service graph of ``traces``.

    Returns ``{"nodes": [...], "edges": [...]}``. A node has ``id``, ``name``, ``type``
    (the segment's ``origin``, ``service`` without one, ``client``, or the namespace
    ``remote``/``aws`` of a downstream call nobody reported), ``layer`` (0 for nodes
    nothing calls, else one more than a caller's, for a left-to-right drawing) and its
    tally: ``count`` (segments, or calls for a downstream node), ``errors``, ``faults``,
    ``throttles``, ``average_ms``. An edge has ``source`` and ``target`` node ids and
    the same tally over its calls; a service calling itself is an edge to itself.
    """
    nodes: dict[_NodeKey, _Tally] = {}
    edges: dict[tuple[_NodeKey, _NodeKey], _Tally] = {}
    client = ("Client", CLIENT)

    def count(caller: _NodeKey | None, callee: _NodeKey, entity: Node | None) -> None:
        nodes.setdefault(callee, _Tally()).add(entity)
        if caller is not None:
            nodes.setdefault(caller, _Tally())
            edges.setdefault((caller, callee), _Tally()).add(entity)

    for trace in traces:
        shown = [entity for _, entity in drawn(trace)]
        answered: set[int] = set()
        for entity in shown:
            if not entity.is_segment:
                continue
            parent = entity.parent
            caller = _owner(parent) if parent is not None else None
            if parent is not None:
                answered.add(id(parent))
            count(_segment_node(caller) if caller else client, _segment_node(entity), entity)
        for entity in shown:
            namespace = entity.doc.get("namespace")
            if entity.is_segment or namespace not in _DOWNSTREAM or id(entity) in answered:
                continue
            caller = _owner(entity)
            count(_segment_node(caller) if caller else None, (entity.name, namespace), entity)
    ids = {key: f"{key[1]}:{key[0]}" for key in nodes}
    layers = _layers(list(nodes), list(edges))
    return {
        "nodes": [
            {"id": ids[key], "name": key[0], "type": key[1], "layer": layers[key], **tally.view()}
            for key, tally in nodes.items()
        ],
        "edges": [
            {"source": ids[source], "target": ids[target], **tally.view()}
            for (source, target), tally in edges.items()
        ],
    }


def _owner(entity: Node) -> Node | None:
    """The segment ``entity`` belongs to: itself, or its nearest segment ancestor."""
    current: Node | None = entity
    while current is not None and not current.is_segment:
        current = current.parent
    return current


def _layers(nodes: list[_NodeKey], edges: list[tuple[_NodeKey, _NodeKey]]) -> dict[_NodeKey, int]:
    callees: dict[_NodeKey, list[_NodeKey]] = {}
    called = set()
    for source, target in edges:
        if source != target:
            callees.setdefault(source, []).append(target)
            called.add(target)
    layer: dict[_NodeKey, int] = {}
    # Breadth first from the nodes nothing calls; a cycle's first node reached starts it.
    for start in [n for n in nodes if n not in called] + nodes:
        if start in layer:
            continue
        layer[start] = 0
        queue = [start]
        for node in queue:
            for target in callees.get(node, ()):
                if target not in layer:
                    layer[target] = layer[node] + 1
                    queue.append(target)
    return layer


def rejected(record: Received) -> dict[str, Any]:
    """A datagram X-Ray would reject: ``seq``, ``received_at`` (epoch s), ``sender``,
    ``size`` (bytes), ``label`` (``Received.label``: sequence, sender, name and id),
    ``reasons`` (the parse error, or each validation reason), ``text`` (the listener's
    text report of it) and ``document`` (``None`` when it did not parse)."""
    reasons = [str(record.parse_error)] if record.parse_error else list(record.problems)
    return {
        "seq": record.seq,
        "received_at": record.received_at,
        "sender": record.sender,
        "size": record.size,
        "label": record.label,
        "reasons": reasons,
        "text": render_problems(record),
        "document": record.document,
    }
