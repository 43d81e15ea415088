"""Reading what arrived at the receiver: entities of a trace, wherever they were embedded."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from xraysink.receiver.server import Receiver
from xraysink.receiver.validate import validate_document


def entities_of(documents: list[dict[str, Any]], trace_id: str | None) -> list[dict[str, Any]]:
    """Every entity of ``trace_id`` (of every trace when None): documents and their
    embedded subsegments, each copied with ``_parent`` (its parent's id, from
    ``parent_id`` or embedding) and ``_trace`` (its document's trace id)."""
    found: list[dict[str, Any]] = []

    def walk(entity: dict[str, Any], parent: str | None, trace: str) -> None:
        flat = {key: value for key, value in entity.items() if key != "subsegments"}
        flat["_parent"] = entity.get("parent_id", parent)
        flat["_trace"] = trace
        found.append(flat)
        for child in entity.get("subsegments", ()):
            walk(child, entity["id"], trace)

    for document in documents:
        if trace_id is None or document.get("trace_id") == trace_id:
            walk(document, None, document.get("trace_id", ""))
    return found


def wait_for_trace(
    receiver: Receiver,
    trace_id: str,
    count: int,
    timeout: float = 10.0,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Wait until ``count`` entities of ``trace_id`` arrived (and ``until(entities)``
    holds, when given); return them. Asserts that every document of the trace is valid
    and that no entity id arrived twice."""

    def arrived(documents: list[dict[str, Any]]) -> bool:
        entities = entities_of(documents, trace_id)
        return len(entities) >= count and (until is None or until(entities))

    receiver.wait_for(arrived, timeout)
    documents = [d for d in receiver.documents if d.get("trace_id") == trace_id]
    for document in documents:
        assert validate_document(document) == [], document
    entities = entities_of(documents, trace_id)
    ids = [entity["id"] for entity in entities]
    assert len(ids) == len(set(ids)), f"an entity arrived twice: {ids}"
    assert len(entities) >= count, f"expected {count} entities of {trace_id}, got {entities}"
    return entities


def root_of(response: httpx.Response) -> str:
    """The trace id in the response's X-Amzn-Trace-Id (``Root=...``)."""
    header = response.headers["x-amzn-trace-id"]
    fields = dict(part.split("=", 1) for part in header.split(";"))
    return fields["Root"]


def segments(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The segments among ``entities``: top-level documents without ``"type"``."""
    return [e for e in entities if "trace_id" in e and e.get("type") != "subsegment"]


def new_root() -> str:
    """A fresh X-Ray trace id, for a caller's trace header."""
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def descends_from(
    entities: list[dict[str, Any]], entity: dict[str, Any], ancestor: dict[str, Any]
) -> bool:
    """Whether ``ancestor`` is on ``entity``'s chain of parents within ``entities``."""
    parents = {e["id"]: e["_parent"] for e in entities}
    node = entity["_parent"]
    while node is not None and node != ancestor["id"]:
        node = parents.get(node)
    return node == ancestor["id"]


def by_name(entities: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entity for entity in entities if entity["name"] == name]


def assert_shape_of_1_6_2(entities: list[dict[str, Any]], service: str, task_path: str) -> None:
    """The trace of a handler that puts annotation ``tenant`` on the request segment,
    opens SDK subsegments ``load`` and ``save`` and starts task ``task_path``, as
    xraysink 1.6.2 records it: exactly those 5 entities, parented as 1.6.2 parents them
    (subsegments and ``Create Task`` under the request segment, the task's segment
    under ``Create Task``), the annotation on the request segment."""
    names = sorted(entity["name"] for entity in entities)
    create_name = f"Create Task: {task_path}"
    assert names == sorted([service, service, "load", "save", create_name]), names
    request, task = sorted(segments(entities), key=lambda s: "parent_id" in s)
    assert request["annotations"] == {"tenant": "t-1"}
    (load,) = by_name(entities, "load")
    (save,) = by_name(entities, "save")
    (create,) = by_name(entities, create_name)
    assert load["_parent"] == save["_parent"] == create["_parent"] == request["id"]
    assert load["namespace"] == save["namespace"] == create["namespace"] == "local"
    assert load["metadata"]["default"] == {"rows": 3}
    assert "annotations" not in load and "annotations" not in save
    assert task["parent_id"] == create["id"]
    assert task["http"]["request"]["url"] == f"task://localhost/{task_path}"
