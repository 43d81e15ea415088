"""Everything a segment takes from the span's Resource, computed once per Resource.

A TracerProvider hands the same Resource object to every span, so the results are
memoised on the object's identity: ``Resource.__hash__`` serialises all attributes
to JSON and costs more than a whole translation. The memo holds a reference to each
Resource it caches, so an ``id()`` cannot be reused while its entry exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from opentelemetry.sdk.resources import Resource

from xraysink.translate.aws import origin, resource_aws
from xraysink.translate.clean import (
    annotation_key,
    annotation_value,
    clean_value,
    entity_name,
    metadata_key,
)

# Collector segment.go: resource attributes go into segment metadata under this prefix.
RESOURCE_PREFIX = "otel.resource."

_MEMO_LIMIT = 32
_memo: dict[int, tuple[Resource, ResourceInfo]] = {}


class ResourceInfo(NamedTuple):
    """Resource-derived parts of a segment (read-only; copy before changing).

    ``aws``: resource part of the ``aws`` block; ``origin``; ``service``: the
    ``{"version": ...}`` block or ``None``; ``metadata``: ``otel.resource.<key>`` ->
    cleaned value; ``annotations``: ``otel.resource.<key>`` -> (annotation key,
    value) for the annotatable ones; ``service_name``: ``service.name`` reduced to
    X-Ray's name charset, or ``None`` if nothing is left.
    """

    aws: Mapping[str, Any]
    origin: str | None
    service: Mapping[str, str] | None
    metadata: Mapping[str, Any]
    annotations: Mapping[str, tuple[str, str | int | float | bool]]
    service_name: str | None


# Nearly every span of a process shares one Resource: check it before the memo.
_last: tuple[Resource, ResourceInfo] | None = None


def resource_info(resource: Resource | None) -> ResourceInfo:
    """Return the (memoised) ``ResourceInfo`` of ``resource``."""
    global _last
    last = _last
    if last is not None and last[0] is resource:
        return last[1]
    entry = _memo.get(id(resource))
    if entry is not None and entry[0] is resource:
        _last = entry
        return entry[1]
    attributes: Mapping[str, Any] = {}
    if resource is not None:
        attributes = resource.attributes or {}
    info = _build(attributes)
    if resource is not None:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[id(resource)] = (resource, info)
        _last = (resource, info)
    return info


def _build(attributes: Mapping[str, Any]) -> ResourceInfo:
    metadata: dict[str, Any] = {}
    annotations: dict[str, tuple[str, str | int | float | bool]] = {}
    for key, value in attributes.items():
        cleaned = clean_value(value)
        if cleaned is None:
            continue
        full_key = RESOURCE_PREFIX + metadata_key(key)
        metadata[full_key] = cleaned
        annotated = annotation_value(cleaned)
        fixed_key = annotation_key(full_key)
        if annotated is not None and fixed_key:
            annotations[full_key] = (fixed_key, annotated)
    # Collector service.go: service.version, else the container image tag.
    version = clean_value(attributes.get("service.version"))
    if type(version) is not str or not version:
        version = clean_value(attributes.get("container.image.tag"))
    service = {"version": version} if type(version) is str and version else None
    name = clean_value(attributes.get("service.name"))
    return ResourceInfo(
        aws=resource_aws(attributes),
        origin=origin(attributes),
        service=service,
        metadata=metadata,
        annotations=annotations,
        service_name=(entity_name(name) or None) if type(name) is str else None,
    )
