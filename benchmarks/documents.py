"""What the benchmark checks in the X-Ray documents its UDP sink receives.

``child_problems(document, recorded=...)``:
whether one request's document holds the route's 3 children (``benchmarks.app.CHILDREN``)
nested in order, and, when they were made with the X-Ray SDK API, the annotation and
metadata entry each one recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from benchmarks.app import CHILDREN


def _walk(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield document
    for child in document.get("subsegments", ()):
        yield from _walk(child)


def sdk_child_fields(attributes: dict[str, Any]) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """The (annotation, metadata entry) an X-Ray SDK child records for ``attributes``:
    the first attribute as an annotation (X-Ray annotation keys take no ``.``), the
    second as metadata in the ``default`` namespace."""
    (first, first_value), (second, second_value) = attributes.items()
    return (first.replace(".", "_"), first_value), (second, second_value)


def child_problems(document: dict[str, Any], *, recorded: bool) -> list[str]:
    """Why ``document`` (one request's decoded segment) lacks the route's 3 nested
    children; empty when they are all there. ``recorded``: the children were made
    with ``xray_recorder.in_subsegment`` and must carry their annotation and metadata."""
    problems: list[str] = []
    scope = list(_walk(document))
    for name, attributes in CHILDREN:
        found = [entity for entity in scope if entity.get("name") == name]
        if len(found) != 1:
            problems.append(f"{len(found)} subsegments named {name!r} where 1 was expected")
            return problems
        child = found[0]
        if recorded:
            (key, value), (meta_key, meta_value) = sdk_child_fields(attributes)
            if child.get("annotations", {}).get(key) != value:
                problems.append(f"{name!r}: annotation {key}={value!r} missing")
            if child.get("metadata", {}).get("default", {}).get(meta_key) != meta_value:
                problems.append(f"{name!r}: metadata default.{meta_key}={meta_value!r} missing")
        # The next child must be nested inside this one.
        scope = [entity for sub in child.get("subsegments", ()) for entity in _walk(sub)]
    return problems
