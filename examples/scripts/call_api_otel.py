"""Trace one outgoing HTTP call with OpenTelemetry only, sent to X-Ray by xraysink.

    python3 call_api_otel.py -u https://example.com/

``call_api.py`` without the X-Ray SDK: ``xraysink.configure()`` and
``opentelemetry-instrumentation-requests``. The script's span is the segment, the
instrumented call its subsegment, and the call carries ``X-Amzn-Trace-Id`` to the
service called. Documents go to the daemon at ``AWS_XRAY_DAEMON_ADDRESS`` (default
``127.0.0.1:2000``), sent before the script exits.
"""

from __future__ import annotations

import argparse

import requests
from opentelemetry import trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor

import xraysink

xraysink.configure(service="call-api")
RequestsInstrumentor().instrument()
tracer = trace.get_tracer("call_api_otel")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="GET a URL and trace the call in AWS X-Ray.")
    parser.add_argument("-u", "--url", required=True, help="the URL to call")
    args = parser.parse_args(argv)
    with tracer.start_as_current_span("call-api", attributes={"url": args.url}) as span:
        response = requests.get(args.url, timeout=10)
        span.set_attribute("status", response.status_code)
    digits = format(span.get_span_context().trace_id, "032x")
    trace_id = f"1-{digits[:8]}-{digits[8:]}"  # X-Ray's form of the trace id
    print(f"{response.status_code} {args.url} trace_id={trace_id}")
    return 0 if response.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
