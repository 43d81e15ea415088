"""aiohttp app with the unchanged 1.6.2 call sites; prints its port when serving.

Run: ``python recorder_aiohttp.py`` -> prints ``listening on http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio

import httpx
from aiohttp import web
from aws_xray_sdk.core import xray_recorder
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from tests.apps.aiohttp_serve import serve_forever
from xraysink.asgi.middleware import xray_middleware
from xraysink.config import set_xray_log_group
from xraysink.context import AsyncContext
from xraysink.tasks import xray_task_async

xray_recorder.configure(
    service="recorder-aiohttp",
    sampling=False,
    context=AsyncContext(),
    daemon_address="127.0.0.1:2000",
)
set_xray_log_group("/test/recorder-aiohttp")
HTTPXClientInstrumentor().instrument()

background: set[asyncio.Task[None]] = set()


@xray_task_async()
async def _refresh(item: str) -> None:
    await asyncio.sleep(0.01)


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.Response(status=code, text="as asked")


async def not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(text="no such thing")


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("the kettle is broken")


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for index in range(3):
        await asyncio.sleep(0.05)
        await response.write(b"chunk %d\n" % index)
    await response.write_eof()
    return response


async def task(request: web.Request) -> web.Response:
    started = _refresh("teapot")
    background.add(started)
    started.add_done_callback(background.discard)
    return web.json_response({"status": "started"})


async def shape(request: web.Request) -> web.Response:
    # What a 1.6.2 handler does: an annotation on the request segment, two SDK
    # subsegments, a task.
    xray_recorder.put_annotation("tenant", "t-1")
    async with xray_recorder.in_subsegment_async("load") as load:
        load.put_metadata("rows", 3)
    async with xray_recorder.in_subsegment_async("save"):
        await asyncio.sleep(0)
    started = _refresh("shape")
    background.add(started)
    started.add_done_callback(background.discard)
    return web.json_response({"status": "shaped"})


async def outgoing(request: web.Request) -> web.Response:
    async with httpx.AsyncClient() as client:
        response = await client.get(str(request.url.origin()) + "/ok")
    return web.json_response({"downstream": response.json()})


async def main() -> None:
    app = web.Application(middlewares=[xray_middleware])
    app.router.add_get("/ok", ok)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/missing", not_found)
    app.router.add_get("/boom", boom)
    app.router.add_get("/stream", stream)
    app.router.add_post("/task", task)
    app.router.add_post("/shape", shape)
    app.router.add_get("/outgoing", outgoing)
    await serve_forever(app)


if __name__ == "__main__":
    asyncio.run(main())
