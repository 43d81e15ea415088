"""Annotations and metadata of an X-Ray entity.

Follows the collector's awsxrayexporter segment.go (makeXRayAttributes): an attribute
is an annotation when its key is in the configured ``indexed_attributes``, listed in
the span attribute ``aws.xray.annotations``, or when ``index_all_attributes`` is on;
every other attribute not consumed elsewhere goes to ``metadata.default``, except
``aws.xray.metadata.<ns>`` holding a JSON object, which becomes metadata namespace
``<ns>``. Segments also carry the resource attributes as ``otel.resource.<key>``.
Stricter than the collector: at most 50 annotations (X-Ray's limit; the rest go to
metadata), and an annotated attribute whose value cannot be an annotation goes to
metadata instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import orjson

from xraysink.translate.clean import (
    INT_MAX,
    INT_MIN,
    annotation_key,
    annotation_value,
    clean_value,
    metadata_key,
)
from xraysink.translate.resource import ResourceInfo

MAX_ANNOTATIONS = 50
METADATA_PREFIX = "aws.xray.metadata."
DEFAULT_NAMESPACE = "default"


def metadata_route(key: Any) -> str:
    """Return the metadata key for an attribute key, or ``""`` for ``aws.xray.metadata.*``."""
    if type(key) is str and key.startswith(METADATA_PREFIX):
        return ""
    return metadata_key(key)


def _namespaced(key: str, value: Any, default: dict[str, Any], namespaces: dict[str, Any]) -> None:
    namespace = metadata_key(key[len(METADATA_PREFIX) :])
    parsed: Any = None
    if type(value) is str and namespace:
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            parsed = None
    if type(parsed) is not dict:
        # Collector: a value that is not a JSON object stays as it is, under its own key.
        cleaned = clean_value(value)
        if cleaned is not None:
            default[metadata_key(key)] = cleaned
    elif namespace.lower() == DEFAULT_NAMESPACE:
        default.update(parsed)
    else:
        namespaces[namespace] = parsed


def metadata_only(
    attributes: Mapping[Any, Any],
    leftovers: Iterable[tuple[Any, str]],
    resource: ResourceInfo | None,
) -> dict[str, dict[str, Any]] | None:
    """``annotations_and_metadata`` when no attribute can be an annotation (nothing
    indexed, no ``aws.xray.annotations``): the metadata alone, ``None`` when empty."""
    default = dict(resource.metadata) if resource is not None else {}
    namespaces: dict[str, Any] = {}
    for key, route in leftovers:
        value = attributes[key]
        kind = type(value)
        if not route:
            _namespaced(key, value, default, namespaces)
        elif (
            (kind is str and value.isascii())
            or kind is bool
            or (kind is int and INT_MIN <= value <= INT_MAX)
        ):
            # clean_value's common cases, inlined: these values are JSON-safe as they are.
            default[route] = value
        else:
            cleaned = clean_value(value)
            if cleaned is not None:
                default[route] = cleaned
    if default:
        namespaces[DEFAULT_NAMESPACE] = default
    return namespaces or None


def annotations_and_metadata(
    attributes: Mapping[Any, Any],
    leftovers: Iterable[tuple[Any, str]],
    indexed_consumed: Iterable[str],
    indexed: Collection[str],
    index_all: bool,
    listed: Collection[str],
    resource: ResourceInfo | None,
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]] | None]:
    """Return ``(annotations, metadata)``, each ``None`` when empty.

    ``leftovers``: (key, route) pairs of the span attributes no block consumed, the
    route being the metadata key or ``""`` for ``aws.xray.metadata.<ns>``;
    ``indexed_consumed``: consumed keys that are in ``indexed``, the configured
    annotation keys, and may still be annotations (collector addSpecialAttributes);
    ``listed``: keys from ``aws.xray.annotations``; ``resource``: the resource info
    of a segment, ``None`` for a subsegment. Annotations: sanitised key ->
    str/int/float/bool, span attributes first, then resource ones, up to 50;
    metadata: namespace -> key -> value.
    """
    if not (index_all or indexed or listed):
        return None, metadata_only(attributes, leftovers, resource)
    annotations: dict[str, Any] = {}
    namespaces: dict[str, Any] = {}
    annotate_resource = resource is not None and (
        index_all or (bool(indexed) and not resource.annotations.keys().isdisjoint(indexed))
    )
    if resource is None or annotate_resource:
        default: dict[str, Any] = {}
    else:
        default = dict(resource.metadata)
    for key in indexed_consumed:
        annotated = annotation_value(attributes[key])
        fixed = annotation_key(key)
        if annotated is not None and fixed and len(annotations) < MAX_ANNOTATIONS:
            annotations[fixed] = annotated
    for key, route in leftovers:
        value = attributes[key]
        if (index_all or key in indexed or key in listed) and len(annotations) < MAX_ANNOTATIONS:
            annotated = annotation_value(value)
            if annotated is not None:
                fixed = annotation_key(key)
                if fixed:
                    annotations[fixed] = annotated
                    continue
        if not route:
            _namespaced(key, value, default, namespaces)
            continue
        cleaned = clean_value(value)
        if cleaned is not None:
            default[route] = cleaned
    if resource is not None and annotate_resource:
        pairs = resource.annotations
        for full_key, cleaned in resource.metadata.items():
            pair = pairs.get(full_key)
            if (
                pair is not None
                and (index_all or full_key in indexed)
                and len(annotations) < MAX_ANNOTATIONS
            ):
                annotations[pair[0]] = pair[1]
            else:
                default[full_key] = cleaned
    if default:
        namespaces[DEFAULT_NAMESPACE] = default
    return annotations or None, namespaces or None
