"""Assembly: nesting the children of a local root into the root's document.

X-Ray segment document spec: a document may embed its subsegments
(``subsegments``); an entity sent on its own as ``"type":"subsegment"`` must carry
``trace_id`` and ``parent_id``, which embedded ones do not need.
"""

from __future__ import annotations

from xraysink._types import Entity


def nest(root: list[Entity], children: list[Entity]) -> list[Entity]:
    """Embed ``children`` under their parents within ``root``'s entities.

    ``root`` holds the entities translated from the local root span, ``children``
    those of its descendants that ended before it, in ending order. Returns the
    top-level documents: the root's entities, then every child whose parent is not
    among them (its parent is still open or was sent already), which keeps its
    ``trace_id``/``parent_id`` and is sent on its own. Mutates the entities.
    """
    by_id: dict[str, Entity] = {entity["id"]: entity for entity in root}
    # An id seen twice (only a broken id generator does that) could embed two
    # entities into each other and lose both: the later one is sent on its own.
    repeated: list[Entity] = []
    for child in children:
        if by_id.setdefault(child["id"], child) is not child:
            repeated.append(child)
    documents = list(root)
    for child in children:
        parent = by_id.get(child.get("parent_id", ""))
        if (
            parent is None
            or parent is child
            or child.get("type") != "subsegment"
            or (repeated and any(child is seen for seen in repeated))
        ):
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
