"""Assembly: nesting the children of a local root into the root's document.

X-Ray segment document spec: a document may embed its subsegments
(``subsegments``); an entity sent on its own as ``"type":"subsegment"`` must carry
``trace_id`` and ``parent_id``, which embedded ones do not need.
"""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]


def nest(root: list[Entity], children: list[Entity]) -> list[Entity]:
    """Embed ``children`` under their parents within ``root``'s entities.

    ``root`` holds the entities translated from the local root span, ``children``
    those of its descendants that ended before it, in ending order. Returns the
    top-level documents: the root's entities, then every child whose parent is not
    among them (its parent is still open or was sent already), which keeps its
    ``trace_id``/``parent_id`` and is sent on its own. Mutates the entities.
    """
    by_id: dict[str, Entity] = {entity["id"]: entity for entity in root}
    for child in children:
        by_id[child["id"]] = child
    documents = list(root)
    for child in children:
        parent = by_id.get(child.get("parent_id", ""))
        if parent is None or parent is child or child.get("type") != "subsegment":
            documents.append(child)
            continue
        # Embedded, a child needs no type, trace_id or parent_id (unrolled: runs per child).
        del child["type"]
        child.pop("trace_id", None)
        del child["parent_id"]
        siblings = parent.get("subsegments")
        if siblings is None:
            parent["subsegments"] = [child]
        else:
            siblings.append(child)
    return documents
