"""Making span data safe for an X-Ray document.

Every string that leaves the translator must encode as UTF-8 (orjson refuses lone
surrogates), every number must be finite and fit JSON integers of 64 bits, and names
and annotation keys must use X-Ray's character sets (X-Ray segment document spec).
These helpers never raise; the common case (an ASCII string, a small int, a finite
float) costs one type check and one O(1) call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# orjson encodes integers in [-2**63, 2**64 - 1]; anything wider becomes a string.
INT_MIN = -(1 << 63)
INT_MAX = (1 << 64) - 1
# Containers nested deeper than this are stringified, which also stops cycles in
# hand-built attribute dicts.
_MAX_DEPTH = 16

# X-Ray segment document spec: names use letters, digits, whitespace and these symbols.
_NAME_ASCII = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.:/%&#=+\\-@"
)
MAX_NAME_LENGTH = 200

# X-Ray segment document spec: annotation keys use [A-Za-z0-9_.], up to 500 chars.
# The collector keeps dots (feature gate exporter.xray.allowDot, on by default).
_ANNOTATION_KEY_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
)
_MAX_ANNOTATION_KEY_LENGTH = 500

# Names and annotation keys repeat endlessly (span names, attribute keys): memoise
# them, and bound the memo so a high-cardinality source cannot grow it forever.
_MEMO_LIMIT = 4096
_name_memo: dict[str, str] = {}
_key_memo: dict[str, str] = {}


def clean_str(value: str) -> str:
    """Return ``value`` unchanged if it encodes as UTF-8, else with lone surrogates as ``?``."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _non_finite(value: float) -> str:
    # JSON has no NaN/Infinity; keep the information as text instead of dropping it.
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def clean_value(value: Any, depth: int = 0) -> Any:
    """Return a JSON-safe copy of an attribute value, or ``None`` for "no value".

    str/bool/finite float/64-bit int pass through; sequences become lists (elements
    cleaned, ``None`` kept as JSON null); mappings become dicts with string keys;
    bytes are decoded as UTF-8 (invalid bytes replaced); non-finite floats and
    oversized ints become strings; any other object becomes ``str(object)``.
    ``depth``: how deep ``value`` sits in the attribute; past a bound, text.
    """
    kind = type(value)
    if kind is str:
        return value if value.isascii() else clean_str(value)
    if kind is bool:
        return value
    if kind is int:
        return value if INT_MIN <= value <= INT_MAX else str(value)
    if kind is float:
        return value if value - value == 0.0 else _non_finite(value)
    return _clean_other(value, depth)


def _clean_other(value: Any, depth: int) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return clean_str(value[:])
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        number = int(value)
        return number if INT_MIN <= number <= INT_MAX else str(number)
    if isinstance(value, float):
        real = float(value)
        return real if real - real == 0.0 else _non_finite(real)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return clean_str(bytes(value).decode("utf-8", "replace"))
    if depth >= _MAX_DEPTH:
        return _as_text(value)
    if isinstance(value, Mapping):
        return {metadata_key(key): clean_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (tuple, list, set, frozenset)):
        return [clean_value(item, depth + 1) for item in value]
    return _as_text(value)


def _as_text(value: Any) -> str:
    try:
        return clean_str(str(value))
    except Exception:
        # A broken __str__ must not cost the span; its type name is the best we have.
        return "<" + type(value).__name__ + ">"


def metadata_key(key: Any) -> str:
    """Return ``key`` as a UTF-8-safe string (metadata keys have no charset rule in X-Ray)."""
    if type(key) is str:
        return key if key.isascii() else clean_str(key)
    return _as_text(key)


def annotation_value(value: Any) -> str | int | float | bool | None:
    """Return ``value`` as an X-Ray annotation value, or ``None`` if it cannot be one.

    X-Ray segment document spec: annotation values are strings, numbers or booleans.
    Non-finite floats and oversized ints become strings rather than being lost.
    """
    kind = type(value)
    if kind is str:
        return value if value.isascii() else clean_str(value)
    if kind is bool:
        return bool(value)
    if kind is int:
        return value if INT_MIN <= value <= INT_MAX else str(value)
    if kind is float:
        return value if value - value == 0.0 else _non_finite(value)
    return None


def annotation_key(key: Any) -> str:
    """Return ``key`` with every character outside ``[A-Za-z0-9_.]`` replaced by ``_``.

    Cut to 500 characters (X-Ray segment document spec); ``""`` if nothing is left.
    Follows the collector's fixAnnotationKey (segment.go) with dots kept.
    """
    if type(key) is not str:
        key = _as_text(key)
    fixed = _key_memo.get(key)
    if fixed is None:
        if key.isascii() and _ANNOTATION_KEY_CHARS.issuperset(key):
            fixed = key[:_MAX_ANNOTATION_KEY_LENGTH]
        else:
            fixed = "".join(
                char if char in _ANNOTATION_KEY_CHARS else "_"
                for char in key[:_MAX_ANNOTATION_KEY_LENGTH]
            )
        if len(_key_memo) >= _MEMO_LIMIT:
            _key_memo.clear()
        _key_memo[key] = fixed
    return fixed


def entity_name(value: Any) -> str:
    """Return ``value`` reduced to X-Ray's name character set, at most 200 characters.

    X-Ray segment document spec: Unicode letters and numbers, whitespace and
    ``_ . : / % & # = + \\ - @``. Other characters are removed, whitespace other than a
    space becomes a space, and the result is stripped; ``""`` means nothing usable is
    left and the caller falls back to its next name source. Stricter than the
    collector's fixSegmentName, which only cleans the span name.
    """
    if type(value) is not str:
        if value is None:
            return ""
        value = _as_text(value)
    fixed = _name_memo.get(value)
    if fixed is None:
        if value.isascii() and _NAME_ASCII.issuperset(value):
            fixed = value
        else:
            fixed = "".join(
                char if char in _NAME_ASCII or char.isalnum() else (" " if char.isspace() else "")
                for char in value
            )
        fixed = fixed.strip()[:MAX_NAME_LENGTH].rstrip()
        if len(_name_memo) >= _MEMO_LIMIT:
            _name_memo.clear()
        _name_memo[value] = fixed
    return fixed
