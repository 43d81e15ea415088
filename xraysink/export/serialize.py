"""Serialization: entities to JSON documents that each fit one datagram.

A document over the limit is split: the children that do not fit are detached and
sent as independent subsegment documents (X-Ray segment document spec), smallest
kept first so the fewest datagrams leave. A single entity too large on its own is
cut down field by field, with metadata ``xraysink.truncated: true``, so that it
still arrives.
"""

from __future__ import annotations

import orjson

from xraysink._types import Entity
from xraysink.emitters.protocol import MAX_DOCUMENT_BYTES

# Fields dropped in this order from an entity that is too large on its own.
_EXPENDABLE = ("metadata", "cause", "sql", "aws", "http", "annotations", "links", "user", "service")
# What an entity keeps when nothing else fits: X-Ray's required fields.
_ESSENTIAL = ("id", "name", "start_time", "end_time", "trace_id", "parent_id", "type")
_SUBSEGMENTS_KEY_OVERHEAD = len(',"subsegments":[]')


def dumps(entity: Entity) -> bytes:
    """Compact JSON bytes; unknown objects as ``str``, non-finite floats as ``null``."""
    return orjson.dumps(entity, default=str)


def encode_documents(entity: Entity, limit: int = MAX_DOCUMENT_BYTES) -> list[bytes]:
    """JSON documents for ``entity`` (with any nested ``subsegments``), each at most
    ``limit`` bytes. Usually one; more when the nested tree is larger than ``limit``."""
    document = dumps(entity)
    if len(document) <= limit:
        return [document]
    documents: list[bytes] = []
    _split(entity, limit, documents)
    return documents


def _split(entity: Entity, limit: int, out: list[bytes]) -> None:
    children: list[Entity] = entity.pop("subsegments", None) or []
    base = dumps(entity)
    if len(base) > limit:
        base = _truncate(entity, limit)
    budget = limit - len(base) - _SUBSEGMENTS_KEY_OVERHEAD
    sized = sorted(((len(dumps(child)), index) for index, child in enumerate(children)))
    kept: list[Entity] = []
    detached: list[Entity] = []
    for size, index in sized:
        if size + 1 <= budget:
            budget -= size + 1
            kept.append(children[index])
        else:
            detached.append(children[index])
    if kept:
        entity["subsegments"] = kept
        out.append(dumps(entity))
    else:
        out.append(base)
    trace_id = entity.get("trace_id")
    for child in detached:
        child["type"] = "subsegment"
        child["trace_id"] = trace_id
        child["parent_id"] = entity["id"]
        document = dumps(child)
        if len(document) <= limit:
            out.append(document)
        else:
            _split(child, limit, out)


def _truncate(entity: Entity, limit: int) -> bytes:
    """Drop the least essential fields until the entity alone fits; mark it."""
    for key in _EXPENDABLE:
        entity.pop(key, None)
        entity["metadata"] = {"default": {"xraysink.truncated": True}}
        document = dumps(entity)
        if len(document) <= limit:
            return document
    kept = {key: entity[key] for key in _ESSENTIAL if key in entity}
    entity.clear()
    entity.update(kept)
    entity["name"] = str(entity.get("name", ""))[:200]
    entity["metadata"] = {"default": {"xraysink.truncated": True}}
    return dumps(entity)
