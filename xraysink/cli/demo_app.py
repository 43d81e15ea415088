"""FastAPI service traced to X-Ray with the unchanged xraysink 1.6.2 call sites.

The app ``xraysink demo`` runs; also ``uvicorn xraysink.cli.demo_app:app`` (documents go
to the recorder's daemon address; ``AWS_XRAY_DAEMON_ADDRESS`` overrides it). The only OpenTelemetry
line is the httpx instrumentation, whose client spans land in the same trace.
"""

from __future__ import annotations

import asyncio

import httpx
from aws_xray_sdk.core import xray_recorder
from fastapi import FastAPI, HTTPException, Request
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from starlette.middleware.base import BaseHTTPMiddleware

from xraysink.asgi.middleware import xray_middleware
from xraysink.config import set_xray_log_group
from xraysink.context import AsyncContext
from xraysink.tasks import xray_task_async

# Import-time configuration, as the 1.6.2 README says (1.6.2 recorded nothing here under uvicorn).
# sampling=True: the X-Ray SDK's centralized rules, polled through the daemon address
# (the demo's receiver answers the sampling API: health checks are never sampled).
xray_recorder.configure(
    service="xraysink-demo",
    sampling=True,
    context=AsyncContext(),
    daemon_address="127.0.0.1:2000",
)
set_xray_log_group("/xraysink/demo")
HTTPXClientInstrumentor().instrument()

app = FastAPI()
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)

ITEMS = {"1": {"id": "1", "name": "teapot"}}
background: set[asyncio.Task[None]] = set()


@xray_task_async()
async def _refresh_cache(item_id: str) -> None:
    await asyncio.sleep(0.01)


@app.get("/items/{item_id}")
async def get_item(item_id: str) -> dict[str, str]:
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="no such item")
    return ITEMS[item_id]


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/boom")
async def boom() -> None:
    raise RuntimeError("the kettle is broken")


@app.post("/items/{item_id}/refresh", status_code=202)
async def refresh(item_id: str) -> dict[str, str]:
    # Calling a task function starts its task (1.6.2); ensure_future hands it back as is.
    task = asyncio.ensure_future(_refresh_cache(item_id))
    background.add(task)
    task.add_done_callback(background.discard)
    return {"status": "refreshing"}


@app.get("/inventory")
async def inventory(request: Request) -> dict[str, object]:
    # "Another service": this app's /stock route, reached over HTTP with an instrumented client.
    async with httpx.AsyncClient() as client:
        stock = await client.get(str(request.base_url) + "stock")
    return {"items": len(ITEMS), "stock": stock.json()}


@app.get("/stock")
async def stock() -> dict[str, int]:
    return {"teapot": 3}
