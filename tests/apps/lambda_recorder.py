"""A Lambda function with the xraysink 1.6.2 set-up: the recorder configured with
``AsyncContext()``, X-Ray SDK call sites only."""

from __future__ import annotations

from typing import Any

from aws_xray_sdk.core import xray_recorder

from xraysink.context import AsyncContext

xray_recorder.configure(context=AsyncContext(), service="orders")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with xray_recorder.in_subsegment("work") as subsegment:
        subsegment.put_metadata("event", event)
        with xray_recorder.in_subsegment("inner"):
            pass
    return {"context": type(xray_recorder.context).__name__}
