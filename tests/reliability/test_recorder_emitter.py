"""The recorder's emitter path (1.6.2 call sites) under delivery faults: failures are
counted in the span processor's stats and logged once, not once per document by
aws_xray_sdk's ``UDPEmitter``. Each scenario runs in a fresh interpreter, because the
recorder and the OpenTelemetry TracerProvider are process-wide."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.e2e.xray import wait_for_trace
from xraysink.receiver.server import Receiver


def test_unresolvable_recorder_daemon_is_counted_and_logged_once(receiver: Receiver) -> None:
    code = f"""
        import logging
        from aws_xray_sdk.core import xray_recorder
        from opentelemetry import trace
        from xraysink import pipeline
        from xraysink.context import AsyncContext

        logging.basicConfig(level=logging.WARNING)
        xray_recorder.configure(
            context=AsyncContext(),
            service="svc",
            sampling=False,
            daemon_address="no-such-host.invalid:2000",
        )
        tracer = trace.get_tracer("t")
        for _ in range(30):
            with tracer.start_as_current_span("request", kind=trace.SpanKind.SERVER):
                pass
        stats = pipeline._processor.stats
        assert stats["dropped_daemon_unresolved"] == 30, stats
        xray_recorder.configure(daemon_address="{receiver.address}")
        with tracer.start_as_current_span("after", kind=trace.SpanKind.SERVER) as span:
            pass
        print(f"{{span.get_span_context().trace_id:032x}}")
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING:")]
    assert len(warnings) == 1, result.stderr
    assert "dropped_daemon_unresolved" in warnings[0]
    assert "Failed to send entity" not in result.stderr
    digits = result.stdout.strip()
    # Once the recorder points at a live daemon, documents flow again.
    (segment,) = wait_for_trace(receiver, f"1-{digits[:8]}-{digits[8:]}", 1)
    assert "type" not in segment
