"""Trace one outgoing HTTP call with the X-Ray SDK's call sites, sent by xraysink.

    python3 call_api.py -u https://example.com/

The job of the AWS sample "Tracing Python applications using AWS X-Ray": a segment
around the call, the call made with ``requests`` patched by ``patch_all()``, so it
becomes a subsegment and carries the trace to the service called. The X-Ray SDK code is
unchanged; ``xraysink.configure()`` before it is all that differs: every span goes
through OpenTelemetry and leaves as X-Ray documents for the daemon at
``AWS_XRAY_DAEMON_ADDRESS`` (default ``127.0.0.1:2000``), sent before the script exits.
"""

from __future__ import annotations

import argparse

import xraysink

xraysink.configure(service="call-api")

import requests  # noqa: E402
from aws_xray_sdk.core import patch_all, xray_recorder  # noqa: E402

patch_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="GET a URL and trace the call in AWS X-Ray.")
    parser.add_argument("-u", "--url", required=True, help="the URL to call")
    args = parser.parse_args(argv)
    with xray_recorder.in_segment("call-api") as segment:
        segment.put_annotation("url", args.url)
        response = requests.get(args.url, timeout=10)
        segment.put_metadata("status", response.status_code)
    print(f"{response.status_code} {args.url} trace_id={segment.trace_id}")
    return 0 if response.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
