"""Miscellaneous helpers (1.6.2 API)."""

from __future__ import annotations

from opentelemetry import trace


def has_current_trace() -> bool:
    """Whether the caller runs inside a trace: the current OpenTelemetry span
    context is valid, sampled or not."""
    return bool(trace.get_current_span().get_span_context().is_valid)
