"""FastAPI app sampled by X-Ray centralized rules through the daemon address's TCP part."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.sdk.resources import Resource
from starlette.middleware.base import BaseHTTPMiddleware

import xraysink
from xraysink.asgi.middleware import xray_middleware
from xraysink.sampling.remote import XRayRemoteSampler

# AWS_XRAY_DAEMON_ADDRESS=udp:... tcp:...: segments to the UDP part, rules from the TCP part.
resource = Resource.create({"service.name": "sampled"})
xraysink.configure(service="sampled", sampler=XRayRemoteSampler(resource))

app = FastAPI()
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/orders/{order_id}")
async def order(order_id: str) -> dict[str, str]:
    return {"id": order_id}
