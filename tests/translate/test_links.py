"""Span links as the document's ``links`` (collector span_links.go)."""

from __future__ import annotations

import math

from opentelemetry.trace import Link, SpanContext, TraceFlags

from xraysink.translate.links import make_links

CONTEXT = SpanContext(0x6B0F5A1C0123456789ABCDEF01234567, 0x53995C3F42CD8AD8, False, TraceFlags(1))


def test_link_ids_in_x_ray_format_with_cleaned_attributes() -> None:
    (link,) = make_links(
        [
            Link(
                CONTEXT,
                {
                    "reason": "retry",
                    "ratio": math.inf,
                    "http.request.header.authorization": "Bearer x",
                },
            )
        ]
    )
    assert link["trace_id"] == "1-6b0f5a1c-0123456789abcdef01234567"
    assert link["id"] == "53995c3f42cd8ad8"
    assert link["attributes"] == {"reason": "retry", "ratio": "Infinity"}


def test_a_link_without_attributes_has_no_attributes_key() -> None:
    assert make_links([Link(CONTEXT)]) == [
        {"trace_id": "1-6b0f5a1c-0123456789abcdef01234567", "id": "53995c3f42cd8ad8"}
    ]
