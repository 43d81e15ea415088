"""X-Ray trace ids on stdlib ``logging`` records, so CloudWatch Logs lines link to traces.

Every record made while an OpenTelemetry span is current gets two attributes:

- ``traceId``: the X-Ray trace id, ``1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx``, the form the
  X-Ray console searches the segment's log groups for (``set_xray_log_group`` /
  ``configure(log_group=...)``). ``traceId`` is the
  field name of the OTLP/JSON log record.
- ``spanId``: the current entity id (16 lowercase hex), i.e. the ``id`` of the segment
  or subsegment the line was logged in; its OTLP/JSON field name, paired with
  ``traceId``. The OpenTelemetry logging instrumentation's ``otelTraceID`` /
  ``otelSpanID`` hold the W3C form and are left to it; both can run together.

Outside a trace nothing is added, so a formatter tells "no trace" by the attribute
being absent: ``logging.Formatter("%(traceId)s %(message)s", defaults=NO_TRACE)``
(``defaults=`` exists from Python 3.10, xraysink's minimum), or a JSON formatter
that copies the attributes only when present.

Unsampled requests get their ids too: X-Ray holds no trace for them, but the id is the
one their callers and the response header carry, so the lines of one request (and
of the services it called) still group by ``traceId``; this is what the AWS Lambda
runtime and Powertools do with ``_X_AMZN_TRACE_ID``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanContext

from xraysink.propagation.header import format_id, format_trace_id

TRACE_ID_ATTRIBUTE = "traceId"
SPAN_ID_ATTRIBUTE = "spanId"
NO_TRACE: dict[str, str] = {TRACE_ID_ATTRIBUTE: "-", SPAN_ID_ATTRIBUTE: "-"}
"""Formatter ``defaults`` for records made outside a trace."""

_lock = threading.Lock()
_installed: Callable[..., logging.LogRecord] | None = None


def trace_fields() -> dict[str, str]:
    """``{"traceId": "1-...", "spanId": "<16 hex>"}`` for the current span, or ``{}``
    outside a trace. Never raises."""
    return dict(_fields())


def stamp(record: logging.LogRecord) -> None:
    """Set ``traceId`` and ``spanId`` on ``record`` from the current span; nothing
    outside a trace. Never raises."""
    record.__dict__.update(_fields())


_NONE: dict[str, str] = {}
# The last span context seen and its fields: the lines logged in one span format once.
_last: tuple[SpanContext | None, dict[str, str]] = (None, _NONE)


def _fields() -> dict[str, str]:
    global _last
    try:
        context = trace.get_current_span().get_span_context()
        seen, fields = _last
        if context is seen:
            return fields
        if not context.is_valid:
            return _NONE
        fields = {
            TRACE_ID_ATTRIBUTE: format_trace_id(context.trace_id),
            SPAN_ID_ATTRIBUTE: format_id(context.span_id),
        }
        _last = (context, fields)
        return fields
    except Exception:
        return _NONE


class TraceIdFilter(logging.Filter):
    """A filter that stamps ``traceId``/``spanId`` (see :func:`stamp`) and lets every
    record through. For ``dictConfig`` set-ups: attach it to the *handlers* (a filter on
    a logger does not see its child loggers' records). It runs where the handler runs,
    so behind a ``QueueListener`` the trace is lost: prefer :func:`install` there."""

    def filter(self, record: logging.LogRecord) -> bool:
        stamp(record)
        return True


def install() -> None:
    """Stamp every log record of the process, from any logger, with ``traceId`` and
    ``spanId`` (see :func:`stamp`). Idempotent; ``uninstall()`` undoes it.

    Wraps the log record factory (``logging.setLogRecordFactory``) rather than adding
    filters: the record is stamped when it is made, in the thread or task that logs
    (so ``QueueHandler`` and handlers added later, by any library, see the ids), and
    records of every logger are covered without touching handlers. The factory that
    was in place (e.g. the OpenTelemetry logging instrumentation's) keeps running.
    """
    global _installed
    with _lock:
        if _installed is not None:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            record.__dict__.update(_fields())
            return record

        factory.__wrapped__ = previous  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)
        _installed = factory


def uninstall() -> None:
    """Undo :func:`install`: restore the factory it wrapped. When another library
    wrapped the factory since, ours stays in the chain (removing it would drop theirs)
    and keeps stamping."""
    global _installed
    with _lock:
        if _installed is None or logging.getLogRecordFactory() is not _installed:
            return
        logging.setLogRecordFactory(_installed.__wrapped__)  # type: ignore[attr-defined]
        _installed = None
