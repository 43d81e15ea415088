"""Routing of span attributes to blocks, memoised per sequence of attribute keys.

Spans from one code path carry the same attribute keys in the same order, so which
of them the translator reads, and which are left for metadata once the blocks have
taken theirs, is worked out once per key sequence. A lookup costs one tuple of the
keys and one dict probe instead of a set operation per question.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from xraysink._types import NAME_ATTRIBUTE, NAMESPACE_ATTRIBUTE, SAMPLING_RULE_ATTRIBUTE
from xraysink.translate.attributes import metadata_route
from xraysink.translate.aws import AWS_SPAN_KEYS
from xraysink.translate.credentials import is_credential_header
from xraysink.translate.http import HTTP_KEYS
from xraysink.translate.sql import SQL_KEYS

ANNOTATIONS_ATTRIBUTE = "aws.xray.annotations"
LOCAL_SERVICE = "aws.local.service"
REMOTE_SERVICE = "aws.remote.service"

# Which block may consume an attribute, one bit each.
ALWAYS = 1  # the xraysink overrides, aws.xray.annotations, the aws span fields
HTTP = 2  # when the span has an http block
SQL = 4  # when the span has an sql block
USER = 8  # on segments
STATUS_TEXT = 16  # when the status-only cause ran
_GROUPS: dict[str, int] = {
    **dict.fromkeys(HTTP_KEYS, HTTP),
    **dict.fromkeys(SQL_KEYS, SQL),
    **dict.fromkeys(AWS_SPAN_KEYS, ALWAYS),
    **dict.fromkeys((NAME_ATTRIBUTE, NAMESPACE_ATTRIBUTE, ANNOTATIONS_ATTRIBUTE), ALWAYS),
    "enduser.id": USER,
    SAMPLING_RULE_ATTRIBUTE: USER,
    "http.status_text": STATUS_TEXT,
}

AWS_KEYS = AWS_SPAN_KEYS | {"messaging.url", "aws.dynamodb.table_names"}
# Name sources above service.name in the collector's chain, and those below it.
EARLY_NAME_KEYS = frozenset(
    {NAME_ATTRIBUTE, LOCAL_SERVICE, REMOTE_SERVICE, "peer.service", "aws.service", "db.name"}
)
LATE_NAME_KEYS = frozenset(
    {"rpc.service", "http.host", "net.peer.name", "server.address", "http.url", "url.full"}
)
NAME_KEYS = EARLY_NAME_KEYS | LATE_NAME_KEYS
# Every key the translator reads.
_WATCHED = frozenset(_GROUPS) | AWS_KEYS | NAME_KEYS | {"rpc.system", "aws.span.kind"}

# (key, metadata route) pairs: the route is the metadata key, or "" for a key
# starting with aws.xray.metadata. (a namespace).
Leftovers = tuple[tuple[Any, str], ...]

_MEMO_LIMIT = 1024
_consumable_memo: dict[int, frozenset[str]] = {}


class Shape(NamedTuple):
    """One key sequence: its ``keys``, the watched ones ``present``, and memoised leftovers."""

    keys: tuple[Any, ...]
    present: frozenset[str]
    leftovers: dict[int, Leftovers]


_shapes: dict[tuple[Any, ...], Shape] = {}


def shape_of(attributes: Mapping[str, Any]) -> Shape:
    """Return the memoised ``Shape`` of ``attributes``' key sequence."""
    keys = tuple(attributes)
    shape = _shapes.get(keys)
    if shape is None:
        shape = Shape(keys, _WATCHED.intersection(keys), {})
        if len(_shapes) >= _MEMO_LIMIT:
            _shapes.clear()
        _shapes[keys] = shape
    return shape


def _consumable(mask: int) -> frozenset[str]:
    keys = _consumable_memo.get(mask)
    if keys is None:
        keys = frozenset(key for key, group in _GROUPS.items() if group & mask)
        _consumable_memo[mask] = keys
    return keys


def consumed_keys(shape: Shape, mask: int) -> frozenset[str]:
    """Return the keys of ``shape`` consumed by the blocks in ``mask``."""
    return shape.present.intersection(_consumable(mask))


def leftovers(shape: Shape, mask: int) -> Leftovers:
    """Return the (key, metadata route) pairs that the blocks in ``mask`` leave over.

    Captured headers that carry credentials are never left over: no block reads
    them, so they reach neither metadata nor annotations.
    """
    pairs = shape.leftovers.get(mask)
    if pairs is None:
        consumed = _consumable(mask)
        pairs = tuple(
            (key, metadata_route(key))
            for key in shape.keys
            if key not in consumed and not is_credential_header(key)
        )
        shape.leftovers[mask] = pairs
    return pairs
