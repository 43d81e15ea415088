"""Structured (JSON) logs that link to X-Ray traces.

Run: ``python examples/logging_json.py`` (documents go to ``AWS_XRAY_DAEMON_ADDRESS``,
else 127.0.0.1:2000; try ``xraysink listen`` in another shell). Each line logged
inside a trace carries ``traceId`` (``1-...``) and ``spanId`` (the segment or
subsegment id); the segments name the log group, so the X-Ray console finds the lines.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from opentelemetry import trace

import xraysink
import xraysink.logs


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``traceId``/``spanId`` only when logged in a trace."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("traceId", "spanId"):
            if key in record.__dict__:
                line[key] = record.__dict__[key]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def main() -> None:
    xraysink.configure(service="orders", log_group="/ecs/orders")
    xraysink.logs.install()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])

    log = logging.getLogger("orders.checkout")
    log.info("starting")
    tracer = trace.get_tracer("orders")
    with tracer.start_as_current_span("checkout"):
        log.info("order placed")
        with tracer.start_as_current_span("charge card"):
            log.info("card charged")
    trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
