"""Span links -> the document's ``links`` (collector span_links.go)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.trace import Link

from xraysink.propagation.header import format_id, format_trace_id
from xraysink.translate.clean import clean_value, metadata_key
from xraysink.translate.credentials import is_credential_header


def make_links(links: Sequence[Link]) -> list[dict[str, Any]]:
    """Collector span_links.go: ``[{"trace_id", "id"[, "attributes"]}]``."""
    built = []
    for link in links:
        context = link.context
        entry: dict[str, Any] = {
            "trace_id": format_trace_id(context.trace_id),
            "id": format_id(context.span_id),
        }
        attributes = link.attributes
        if attributes:
            cleaned = {
                metadata_key(key): clean_value(value)
                for key, value in attributes.items()
                if not is_credential_header(key)
            }
            entry["attributes"] = cleaned
        built.append(entry)
    return built
