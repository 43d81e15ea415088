"""aiohttp service traced to X-Ray with the unchanged xraysink 1.6.2 call sites.

Run: ``python examples/aiohttp/app.py [PORT]`` (documents go to the recorder's
daemon address; ``AWS_XRAY_DAEMON_ADDRESS`` overrides it). The outgoing call uses
an OpenTelemetry-instrumented httpx client, whose span lands in the same trace.
"""

from __future__ import annotations

import asyncio
import sys

import httpx
from aiohttp import web
from aws_xray_sdk.core import xray_recorder
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from xraysink.asgi.middleware import xray_middleware
from xraysink.config import set_xray_log_group
from xraysink.context import AsyncContext
from xraysink.tasks import xray_task_async

xray_recorder.configure(
    service="xraysink-aiohttp-demo",
    sampling=False,
    context=AsyncContext(),
    daemon_address="127.0.0.1:2000",
)
set_xray_log_group("/xraysink/aiohttp-demo")
HTTPXClientInstrumentor().instrument()

background: set[asyncio.Task[None]] = set()


@xray_task_async()
async def _refresh_cache(item_id: str) -> None:
    await asyncio.sleep(0.01)


async def get_item(request: web.Request) -> web.Response:
    if request.match_info["item_id"] != "1":
        raise web.HTTPNotFound(text="no such item")
    return web.json_response({"id": "1", "name": "teapot"})


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("the kettle is broken")


async def refresh(request: web.Request) -> web.Response:
    task = _refresh_cache(request.match_info["item_id"])
    background.add(task)
    task.add_done_callback(background.discard)
    return web.json_response({"status": "refreshing"}, status=202)


async def inventory(request: web.Request) -> web.Response:
    async with httpx.AsyncClient() as client:
        stock = await client.get(str(request.url.origin()) + "/stock")
    return web.json_response({"items": 1, "stock": stock.json()})


async def stock(request: web.Request) -> web.Response:
    return web.json_response({"teapot": 3})


def make_app() -> web.Application:
    app = web.Application(middlewares=[xray_middleware])
    app.router.add_get("/items/{item_id}", get_item)
    app.router.add_get("/boom", boom)
    app.router.add_post("/items/{item_id}/refresh", refresh)
    app.router.add_get("/inventory", inventory)
    app.router.add_get("/stock", stock)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
