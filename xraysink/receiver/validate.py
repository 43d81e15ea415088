"""Check a segment document against what X-Ray accepts (X-Ray segment document spec).

The rules are taken from the X-Ray segment document spec: name
characters and length, id formats, times, annotations, namespace, document size, and
no NaN/Infinity anywhere. A document is a segment, or an independent subsegment when its
``type`` is ``"subsegment"``; subsegments embedded in ``subsegments`` are checked too.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
from collections.abc import Mapping
from typing import Any

MAX_DOCUMENT_BYTES = 64 * 1024
"""X-Ray segment document spec: a document is at most 64 KiB."""

MAX_NAME_CHARS = 200
MAX_ANNOTATIONS = 50
NAMESPACES = frozenset({"aws", "remote", "local"})
NAME_SYMBOLS = "_.:/%&#=+\\-@"
"""Characters allowed in a name besides letters, digits and whitespace."""

_ID = re.compile(r"[0-9a-f]{16}")
_TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
_ANNOTATION_KEY = re.compile(r"[A-Za-z0-9_.]{1,500}")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_QUOTE = reprlib.Repr()
_QUOTE.maxstring = 80
_QUOTE.maxother = 80

_SEGMENT = "segment"
_INDEPENDENT = "independent subsegment"
_EMBEDDED = "embedded subsegment"


def validate_document(doc: Mapping[str, Any]) -> list[str]:
    """Return why X-Ray would reject ``doc``; an empty list means it is accepted.

    ``doc`` is one decoded segment document (a segment, or an independent subsegment with
    ``"type": "subsegment"``), embedded ``subsegments`` included. Each reason is
    ``"<path>: <message>"``, where the path names the offending field from the document
    root, e.g. ``"subsegments[2].name: ..."`` or ``"document: ..."`` for the whole.
    Rules: X-Ray segment document spec.
    """
    if not isinstance(doc, Mapping):
        return [f"document: must be a JSON object, got {_json_type(doc)}"]
    try:
        encoded = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        # Circular or non-JSON values: nothing below could walk them safely.
        return [f"document: not serializable as JSON ({exc})"]
    problems: list[str] = []
    size = len(encoded.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        problems.append(
            f"document: {size:,} bytes, over X-Ray's limit of 64 KiB ({MAX_DOCUMENT_BYTES:,})"
        )
    problems += _non_finite_numbers(doc)
    is_independent = doc.get("type") == "subsegment"
    queue: list[tuple[str, Mapping[str, Any], str]] = [
        ("", doc, _INDEPENDENT if is_independent else _SEGMENT)
    ]
    # A queue rather than recursion: nesting depth is bounded only by the 64 KiB size.
    for prefix, entity, role in queue:
        problems += _check_entity(prefix, entity, role)
        children = entity.get("subsegments")
        if children is None:
            continue
        if not isinstance(children, list):
            problems.append(f"{prefix}subsegments: must be a list of subsegments")
            continue
        for index, child in enumerate(children):
            path = f"{prefix}subsegments[{index}]"
            if isinstance(child, Mapping):
                queue.append((f"{path}.", child, _EMBEDDED))
            else:
                problems.append(f"{path}: must be a JSON object")
    return problems


def shown(value: Any) -> str:
    """``repr(value)`` cut to about 80 characters, for quoting received values in messages."""
    return _QUOTE.repr(value)


def _key_path(path: str, key: Any) -> str:
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{shown(key)}]"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _non_finite_numbers(doc: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{path or 'document'}: {value} is not valid JSON")
        elif isinstance(value, Mapping):
            # Reversed so that problems come out in document order.
            items = [(_key_path(path, key), item) for key, item in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))
    return problems


def _is_number(value: Any) -> bool:
    # bool is an int subclass in Python, but JSON true/false is not a number.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_entity(prefix: str, entity: Mapping[str, Any], role: str) -> list[str]:
    problems: list[str] = []
    kind = entity.get("type")
    if kind is not None and kind != "subsegment":
        problems.append(f'{prefix}type: must be "subsegment" when present, got {shown(kind)}')
    problems += _check_name(prefix, entity)
    problems += _check_id(prefix, entity, "id", _ID, "16 lowercase hex digits", required=True)
    problems += _check_id(
        prefix,
        entity,
        "trace_id",
        _TRACE_ID,
        "1-<8 lowercase hex>-<24 lowercase hex>",
        required=role != _EMBEDDED,
    )
    problems += _check_id(
        prefix,
        entity,
        "parent_id",
        _ID,
        "16 lowercase hex digits",
        required=role == _INDEPENDENT,
    )
    problems += _check_times(prefix, entity)
    namespace = entity.get("namespace")
    if namespace is not None and namespace not in NAMESPACES:
        problems.append(f"{prefix}namespace: must be aws, remote or local, got {shown(namespace)}")
    problems += _check_annotations(prefix, entity)
    return problems


def _check_name(prefix: str, entity: Mapping[str, Any]) -> list[str]:
    if "name" not in entity:
        return [f"{prefix}name: required"]
    name = entity["name"]
    if not isinstance(name, str):
        return [f"{prefix}name: must be a string, got {_json_type(name)}"]
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        return [f"{prefix}name: must be 1 to {MAX_NAME_CHARS} characters, got {len(name)}"]
    bad = sorted({ch for ch in name if not (ch.isalnum() or ch.isspace() or ch in NAME_SYMBOLS)})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        return [
            f"{prefix}name: characters not allowed: {shown} (allowed: letters, digits, "
            f"whitespace and {' '.join(NAME_SYMBOLS)})"
        ]
    return []


def _check_id(
    prefix: str,
    entity: Mapping[str, Any],
    field: str,
    pattern: re.Pattern[str],
    shape: str,
    *,
    required: bool,
) -> list[str]:
    if field not in entity:
        return [f"{prefix}{field}: required"] if required else []
    value = entity[field]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        return [f"{prefix}{field}: must be {shape}, got {shown(value)}"]
    return []


def _check_times(prefix: str, entity: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    start = entity.get("start_time")
    if "start_time" not in entity:
        problems.append(f"{prefix}start_time: required")
    elif not _is_number(start):
        problems.append(f"{prefix}start_time: must be a number of seconds, got {shown(start)}")
    in_progress = entity.get("in_progress", False)
    if not isinstance(in_progress, bool):
        problems.append(f"{prefix}in_progress: must be true or false, got {shown(in_progress)}")
    if "end_time" not in entity:
        if in_progress is not True:
            problems.append(f"{prefix}end_time: required unless in_progress is true")
        return problems
    end = entity["end_time"]
    if not _is_number(end):
        problems.append(f"{prefix}end_time: must be a number of seconds, got {shown(end)}")
    elif _is_number(start) and end < start:
        problems.append(f"{prefix}end_time: {end!r} is before start_time {start!r}")
    return problems


def _check_annotations(prefix: str, entity: Mapping[str, Any]) -> list[str]:
    if "annotations" not in entity:
        return []
    annotations = entity["annotations"]
    if not isinstance(annotations, Mapping):
        return [f"{prefix}annotations: must be a JSON object"]
    problems: list[str] = []
    if len(annotations) > MAX_ANNOTATIONS:
        problems.append(
            f"{prefix}annotations: {len(annotations)} annotations, at most {MAX_ANNOTATIONS}"
        )
    for key, value in annotations.items():
        path = _key_path(f"{prefix}annotations", key)
        if not (isinstance(key, str) and _ANNOTATION_KEY.fullmatch(key)):
            problems.append(f"{path}: key must be 1 to 500 of A-Z a-z 0-9 _ .")
        if not (isinstance(value, str) or _is_number(value) or isinstance(value, bool)):
            problems.append(
                f"{path}: value must be a string, number or boolean, got {_json_type(value)}"
            )
    return problems
