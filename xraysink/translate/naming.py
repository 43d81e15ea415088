"""The entity name: the collector's name chain (awsxrayexporter segment.go), sanitised.

``make_name`` picks the first usable source: ``xraysink.name``, Application Signals'
``aws.local.service``/``aws.remote.service``, ``peer.service``, ``aws.service``,
``db.name``[@host], ``service.name`` for SERVER spans, ``rpc.service``, ``http.host``,
``net.peer.name``, for CLIENT/PRODUCER spans the host they call (as the X-Ray SDKs
name them), else the span name. Every source is reduced to X-Ray's name character set
and 200 characters, and one left empty falls through to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.trace import SpanKind

from xraysink._types import NAME_ATTRIBUTE
from xraysink.translate.clean import entity_name
from xraysink.translate.shape import EARLY_NAME_KEYS, LATE_NAME_KEYS, LOCAL_SERVICE, REMOTE_SERVICE
from xraysink.translate.sql import db_host

#: The name of an entity no source names.
FALLBACK_NAME = "span"

_SERVER = SpanKind.SERVER
_CLIENT = SpanKind.CLIENT
_PRODUCER = SpanKind.PRODUCER
_INTERNAL = SpanKind.INTERNAL


def pick_name(value: Any) -> str:
    # The collector reads name sources with .Str(): only non-empty strings count.
    return entity_name(value) if type(value) is str and value else ""


def _attribute_name(
    attributes: Mapping[str, Any], present: frozenset[str], kind: SpanKind, local_root: bool
) -> tuple[str, bool]:
    """Name from the attributes that outrank ``service.name`` (segment.go), or ``""``.

    Returns ``(name, from_aws_service)``.
    """
    get = attributes.get
    if NAME_ATTRIBUTE in present:
        name = entity_name(get(NAME_ATTRIBUTE))
        if name:
            return name, False
    if LOCAL_SERVICE in present and (kind is _SERVER or (kind is _INTERNAL and local_root)):
        name = pick_name(get(LOCAL_SERVICE))
        if name:
            return name, False
    if REMOTE_SERVICE in present and kind is not _SERVER and kind is not _INTERNAL:
        remote = get(REMOTE_SERVICE)
        if type(remote) is str and get("rpc.system") == "aws-api":
            remote = remote.removeprefix("AWS.SDK.").removeprefix("AWS::")
        name = pick_name(remote)
        if name:
            return name, False
    if "peer.service" in present:
        name = pick_name(get("peer.service"))
        if name:
            return name, False
    if "aws.service" in present:
        name = pick_name(get("aws.service"))
        if name:
            return name, True
    if "db.name" in present:
        database = get("db.name")
        if type(database) is str and database:
            host = db_host(get("db.connection_string"))
            name = entity_name(database + "@" + host if host else database)
            if name:
                return name, False
    return "", False


def _late_name(attributes: Mapping[str, Any], present: frozenset[str], kind: SpanKind) -> str:
    """Name from the attributes below ``service.name`` in the chain (segment.go), or ``""``."""
    for key in ("rpc.service", "http.host", "net.peer.name"):
        if key in present:
            name = pick_name(attributes.get(key))
            if name:
                return name
    if kind is _CLIENT or kind is _PRODUCER:
        if "server.address" in present:
            return pick_name(attributes.get("server.address"))
        # The X-Ray SDKs name an HTTP call after its host; instrumentations on the old
        # conventions (httpx, requests) record only the URL.
        for key in ("http.url", "url.full"):
            url = attributes.get(key)
            if type(url) is str:
                try:
                    host = urlsplit(url).hostname
                except ValueError:
                    host = None
                if host:
                    return pick_name(host)
    return ""


def make_name(
    attributes: Mapping[str, Any],
    present: frozenset[str],
    kind: SpanKind,
    span_name: Any,
    service_name: str | None,
    local_root: bool,
) -> tuple[str, bool]:
    """Return ``(name, from_aws_service)`` by the collector's chain (segment.go)."""
    if not present.isdisjoint(EARLY_NAME_KEYS):
        name, from_aws_service = _attribute_name(attributes, present, kind, local_root)
        if name:
            return name, from_aws_service
    if kind is _SERVER and service_name:
        return service_name, False
    if not present.isdisjoint(LATE_NAME_KEYS):
        name = _late_name(attributes, present, kind)
        if name:
            return name, False
    return entity_name(span_name) or FALLBACK_NAME, False
