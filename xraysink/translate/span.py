"""One finished OTel span -> its X-Ray entities (the collector's awsxrayexporter translation).

Follows the collector's awsxrayexporter segment.go (MakeSegmentsFromSpan,
MakeSegment): ids, times, segment or subsegment, the name chain, namespace, and the
Application Signals split of a local-root dependency span; the blocks themselves
come from the sibling modules. The span's fields are read once (``spandata``), the
routing of its attribute keys is memoised per key sequence (``shape``), and whatever
no block consumed becomes an annotation or metadata.

Departures from the collector, each to send what X-Ray accepts and lose nothing:
names from every source are sanitised (not only the span name) and fall through to
the next source when nothing usable is left; ``namespace`` is set on subsegments
only; the segment-only fields (``origin``, ``service``, ``user``, the resource part
of ``aws``) go on segments only, and a subsegment keeps ``enduser.id`` in metadata;
attributes a block reads but does not use stay in metadata; the flags are written
only when true; a stable-convention client span without ``net.peer.name`` is named
after ``server.address``; the xraysink overrides ``xraysink.name`` and
``xraysink.namespace`` (``aws``, ``remote`` or ``local``) win over everything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from time import time_ns
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, SpanKind, StatusCode

from xraysink._types import (
    NAMESPACE_ATTRIBUTE,
    SAMPLING_RULE_ATTRIBUTE,
    SPAN_ID,
    TRACE_ID,
    Entity,
    SpanFields,
)
from xraysink.propagation.header import TRACE_ID_MEMO, format_trace_id
from xraysink.translate.attributes import annotations_and_metadata, metadata_only
from xraysink.translate.aws import SPAN_FIELDS, drop_aws_fields, span_aws
from xraysink.translate.cause import make_cause, make_flags, new_id
from xraysink.translate.clean import clean_value, entity_name
from xraysink.translate.http import HTTP_MARKERS, make_http
from xraysink.translate.links import make_links
from xraysink.translate.naming import FALLBACK_NAME, make_name, pick_name
from xraysink.translate.resource import RESOURCE_PREFIX, resource_info
from xraysink.translate.shape import (
    ALWAYS,
    ANNOTATIONS_ATTRIBUTE,
    AWS_KEYS,
    HTTP,
    LOCAL_SERVICE,
    REMOTE_SERVICE,
    SQL,
    STATUS_TEXT,
    USER,
    Shape,
    consumed_keys,
    leftovers,
    shape_of,
)
from xraysink.translate.spandata import read_span
from xraysink.translate.sql import make_sql

_NAMESPACES = frozenset({"aws", "remote", "local"})
_NO_KEYS: frozenset[str] = frozenset()

_SERVER = SpanKind.SERVER
_CLIENT = SpanKind.CLIENT
_PRODUCER = SpanKind.PRODUCER
_CONSUMER = SpanKind.CONSUMER
_INTERNAL = SpanKind.INTERNAL
_ERROR = StatusCode.ERROR

# Application Signals (ADOT) attributes, segment.go.
_SPAN_KIND = "aws.span.kind"
_MASK_64 = (1 << 64) - 1
_LOCAL_ROOT = "LOCAL_ROOT"
_NOT_ON_SERVICE_SEGMENT = frozenset(
    {REMOTE_SERVICE, "aws.remote.operation", "remoteTarget", "K8s.RemoteNamespace"}
)


def _listed_keys(value: Any) -> frozenset[str]:
    # Collector segment.go: aws.xray.annotations is a list of keys; other shapes are ignored.
    if isinstance(value, (tuple, list)):
        return frozenset(key for key in value if type(key) is str)
    return _NO_KEYS


def _base(
    context: SpanContext | None,
    start: int | None,
    end: int | None,
    name: str,
    span_id: str,
    parent_id: str | None,
    segment: bool,
) -> Entity:
    """The fields every entity has: name, ids, times (``start``/``end`` in ns since
    the epoch, seconds in the document); ``parent_id`` and ``type`` when due."""
    if start is None:
        start = end if end is not None else time_ns()
    if end is None or end < start:
        end = start
    trace_id = context[TRACE_ID] if context is not None else 0
    memo = TRACE_ID_MEMO[0]
    entity: Entity = {
        "name": name,
        "id": span_id,
        "trace_id": memo[1] if memo[0] == trace_id else format_trace_id(trace_id),
        "start_time": start / 1e9,
        "end_time": end / 1e9,
    }
    if parent_id is not None:
        entity["parent_id"] = parent_id
    if not segment:
        entity["type"] = "subsegment"
    return entity


def _plain_subsegment(
    fields: SpanFields, attributes: Mapping[str, Any], shape: Shape, span_id: str, parent_id: str
) -> Entity:
    """``_entity`` of a subsegment that none of the blocks, name sources or
    annotations can concern: no watched attribute key, no events, no links, no
    error status, nothing indexed. Most child spans are such; the document is the
    same, without the questions whose answer is known to be no."""
    name, context, _, kind, start, end, _, _, _, _, _ = fields
    entity = _base(
        context, start, end, entity_name(name) or FALLBACK_NAME, span_id, parent_id, False
    )
    metadata = metadata_only(attributes, leftovers(shape, ALWAYS), None)
    if metadata is not None:
        entity["metadata"] = metadata
    if kind is _CLIENT:
        entity["namespace"] = "remote"
    return entity


def _entity(
    fields: SpanFields,
    attributes: Mapping[str, Any],
    shape: Shape,
    indexed: Collection[str],
    index_all: bool,
    span_id: str,
    parent_id: str | None,
    *,
    segment: bool,
    local_root: bool,
) -> Entity:
    """Build one entity of a span; ``segment`` and the ids are decided by the caller.

    ``attributes`` may differ from the span's own (the Application Signals service
    segment drops the remote ones), ``shape`` is theirs; ``local_root`` marks an
    Application Signals local root, whose INTERNAL span is named after
    ``aws.local.service``.
    """
    span_name, context, _, kind, start, end, status, resource, _, events, links = fields
    present = shape.present
    entity = _base(context, start, end, "", span_id, parent_id, segment)

    consumed = ALWAYS
    http_status = None
    if not present.isdisjoint(HTTP_MARKERS):
        http, http_status = make_http(attributes, present, kind is _SERVER, events)
        if http is not None:
            entity["http"] = http
            consumed |= HTTP

    is_error = status is not None and status.status_code is _ERROR
    if is_error or (http_status is not None and http_status >= 400):
        fault, error, throttle = make_flags(http_status, is_error)
        if fault:
            entity["fault"] = True
        if error:
            entity["error"] = True
        if throttle:
            entity["throttle"] = True
    aws_sdk = "rpc.system" in present and attributes["rpc.system"] == "aws-api"
    if events or is_error:
        cause, status_text_used = make_cause(
            events,
            is_error,
            status.description if status is not None else None,
            attributes.get("http.status_text"),
            kind is _CLIENT or kind is _PRODUCER,
            aws_sdk,
        )
        if cause is not None:
            entity["cause"] = cause
        if status_text_used:
            consumed |= STATUS_TEXT

    if "db.system" in present:
        sql = make_sql(attributes, clean_value(span_name) if type(span_name) is str else "")
        if sql is not None:
            entity["sql"] = sql
            consumed |= SQL

    # Subsegments take nothing from the Resource: skip even the memo lookup.
    info = resource_info(resource) if segment else None
    if info is not None:
        aws = dict(info.aws)
        if not present.isdisjoint(AWS_KEYS):
            aws.update(span_aws(attributes))
        if SAMPLING_RULE_ATTRIBUTE in present:
            rule_name = clean_value(attributes[SAMPLING_RULE_ATTRIBUTE])
            if type(rule_name) is str and rule_name:
                # X-Ray SDK Segment.set_rule_name; the resource's xray dict is shared.
                aws["xray"] = {**aws.get("xray", {}), "sampling_rule_name": rule_name}
        if aws:
            entity["aws"] = aws
        consumed |= USER
        if info.origin is not None:
            entity["origin"] = info.origin
        if info.service is not None:
            entity["service"] = dict(info.service)
        if "enduser.id" in present:
            user = clean_value(attributes["enduser.id"])
            if user is not None and user != "":
                entity["user"] = user if type(user) is str else str(user)
    elif not present.isdisjoint(AWS_KEYS):
        aws = span_aws(attributes)
        if aws:
            entity["aws"] = aws

    if indexed or index_all or ANNOTATIONS_ATTRIBUTE in present:
        annotations, metadata = annotations_and_metadata(
            attributes,
            leftovers(shape, consumed),
            consumed_keys(shape, consumed).intersection(indexed) if indexed else _NO_KEYS,
            indexed,
            index_all,
            _listed_keys(attributes[ANNOTATIONS_ATTRIBUTE])
            if ANNOTATIONS_ATTRIBUTE in present
            else _NO_KEYS,
            info,
        )
    else:
        # The common case: no annotation can arise, only metadata to build.
        annotations, metadata = None, metadata_only(attributes, leftovers(shape, consumed), info)
    if annotations is not None:
        entity["annotations"] = annotations
    if metadata is not None:
        entity["metadata"] = metadata

    if links:
        entity["links"] = make_links(links)

    name, from_aws_service = make_name(
        attributes,
        present,
        kind,
        span_name,
        info.service_name if info is not None else None,
        local_root,
    )
    entity["name"] = name
    override = attributes.get(NAMESPACE_ATTRIBUTE) if NAMESPACE_ATTRIBUTE in present else None
    if type(override) is str and override in _NAMESPACES:
        entity["namespace"] = override
    elif not segment:
        if aws_sdk or from_aws_service:
            entity["namespace"] = "aws"
        elif kind is _CLIENT or (
            (kind is _PRODUCER or kind is _CONSUMER) and REMOTE_SERVICE in present
        ):
            entity["namespace"] = "remote"
    return entity


def _service_segment(entity: Entity, attributes: Mapping[str, Any], kind: SpanKind) -> None:
    """Reduce a local root's second entity to its service segment (segment.go)."""
    local = pick_name(attributes.get(LOCAL_SERVICE))
    if local:
        entity["name"] = local
    entity.pop("http", None)
    entity.pop("namespace", None)
    if kind is not _CONSUMER:
        entity.pop("links", None)
    drop_aws_fields(entity, SPAN_FIELDS)
    metadata = entity.get("metadata")
    if metadata is not None:
        kept = {
            key: value
            for key, value in metadata.get("default", {}).items()
            if key.startswith(RESOURCE_PREFIX)
        }
        if kept:
            entity["metadata"] = {"default": kept}
        else:
            del entity["metadata"]


def translate_span(
    span: ReadableSpan,
    indexed_attributes: frozenset[str] = frozenset(),
    index_all_attributes: bool = False,
) -> list[dict[str, Any]]:
    """Translate one finished span into its X-Ray entity dicts, ready for JSON.

    The span's own entity comes first (``id`` = the span id as 16 lowercase hex),
    then, only for an Application Signals local-root CLIENT/PRODUCER/CONSUMER span
    (``aws.span.kind == "LOCAL_ROOT"``), the service segment it implies, with a
    fresh id, which the first entity (then a dependency subsegment) names as its
    ``parent_id``. Each entity has ``id``, ``name``, ``trace_id`` (``1-8hex-24hex``),
    ``start_time``/``end_time`` (float seconds since the epoch, from the span's
    nanoseconds; an end before the start is clamped to it), ``parent_id`` when the
    span has a parent, and ``"type": "subsegment"`` unless it is a segment (SERVER
    kind, no parent, or an Application Signals local root). The other fields follow
    the collector's awsxrayexporter (segment.go and siblings).

    ``indexed_attributes``: attribute keys that become annotations;
    ``index_all_attributes``: every attribute does. Nested values from the Resource
    may be shared between entities: change the top-level dicts of an entity (and its
    ``aws`` dict), not the structures below them.
    """
    return translate_fields(read_span(span), indexed_attributes, index_all_attributes)


def translate_fields(
    fields: SpanFields,
    indexed_attributes: frozenset[str] = frozenset(),
    index_all_attributes: bool = False,
) -> list[dict[str, Any]]:
    """``translate_span`` of a span already read with
    :func:`xraysink.translate.spandata.read_span` (the span processor reads it once
    for its own bookkeeping too)."""
    # One unpacking names the fields: a module-level index constant per read costs a
    # global load each (about 1,700 instructions a span over the dozen reads).
    _, context, parent, kind, _, _, status, _, attributes, events, links = fields
    # format_id's expression, inlined: two Python calls per span (~2,600 instructions).
    span_id = "%016x" % (context[SPAN_ID] & _MASK_64) if context is not None else "0" * 16
    parent_id = (
        "%016x" % (parent[SPAN_ID] & _MASK_64) if parent is not None and parent[SPAN_ID] else None
    )
    shape = shape_of(attributes)
    if _SPAN_KIND not in attributes or attributes[_SPAN_KIND] != _LOCAL_ROOT:
        segment = kind is _SERVER or parent_id is None
        if (
            parent_id is not None
            and kind is not _SERVER
            and not shape.present
            and not indexed_attributes
            and not index_all_attributes
            and not events
            and not links
            and (status is None or status.status_code is not _ERROR)
        ):
            return [_plain_subsegment(fields, attributes, shape, span_id, parent_id)]
        return [
            _entity(
                fields,
                attributes,
                shape,
                indexed_attributes,
                index_all_attributes,
                span_id,
                parent_id,
                segment=segment,
                local_root=False,
            )
        ]
    if kind is _SERVER or kind is _INTERNAL:
        entity = _entity(
            fields,
            attributes,
            shape,
            indexed_attributes,
            index_all_attributes,
            span_id,
            parent_id,
            segment=True,
            local_root=True,
        )
        entity.pop("namespace", None)
        return [entity]
    service_id = new_id()
    dependency = _entity(
        fields,
        attributes,
        shape,
        indexed_attributes,
        index_all_attributes,
        span_id,
        service_id,
        segment=False,
        local_root=True,
    )
    dependency.setdefault("namespace", "remote")
    if kind is _CONSUMER:
        dependency.pop("links", None)
    service_attributes = {
        key: value for key, value in attributes.items() if key not in _NOT_ON_SERVICE_SEGMENT
    }
    service = _entity(
        fields,
        service_attributes,
        shape_of(service_attributes),
        indexed_attributes,
        index_all_attributes,
        service_id,
        parent_id,
        segment=True,
        local_root=True,
    )
    _service_segment(service, attributes, kind)
    return [dependency, service]
