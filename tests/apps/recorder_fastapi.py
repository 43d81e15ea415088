"""FastAPI app with the unchanged 1.6.2 call sites, configured at import time.

Environment knobs (set by the tests): ``XRAYSINK_TEST_SAMPLING`` ("0" -> recorder
sampling on with a 0% local rule), ``FASTAPI_TRACING`` ("0" -> FastAPI's own
telemetry off, so the middleware opens the span), ``OTEL_ASGI`` ("1" -> wrapped in
the OpenTelemetry ASGI instrumentation), ``XRAYSINK_TEST_DISABLE`` ("1" ->
``global_sdk_config.set_sdk_enabled(False)``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from starlette.middleware.base import BaseHTTPMiddleware

from xraysink.asgi.middleware import xray_middleware
from xraysink.config import set_xray_log_group
from xraysink.context import AsyncContext
from xraysink.tasks import xray_task_async

NO_SAMPLING_RULES = {"version": 2, "rules": [], "default": {"fixed_target": 0, "rate": 0.0}}

if os.environ.get("XRAYSINK_TEST_SAMPLING") == "0":
    xray_recorder.configure(
        service="recorder-fastapi",
        context=AsyncContext(),
        sampler=LocalSampler(NO_SAMPLING_RULES),
        daemon_address="127.0.0.1:2000",
    )
else:
    xray_recorder.configure(
        service="recorder-fastapi",
        sampling=False,
        context=AsyncContext(),
        daemon_address="127.0.0.1:2000",
    )
if os.environ.get("XRAYSINK_TEST_DISABLE") == "1":
    global_sdk_config.set_sdk_enabled(False)
set_xray_log_group("/test/recorder-fastapi")
HTTPXClientInstrumentor().instrument()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # A task started outside any request starts a trace of its own.
    await custom()
    yield


app = FastAPI(
    telemetry={"tracing": os.environ.get("FASTAPI_TRACING", "1") == "1"}, lifespan=_lifespan
)
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)

background: set[asyncio.Task[None]] = set()
STREAM_CHUNK_DELAY_S = 0.2


@xray_task_async()
async def _refresh(item: str) -> None:
    await asyncio.sleep(0.01)


@xray_task_async()
async def failing_task() -> None:
    raise ValueError("task failed")


class Jobs:
    @xray_task_async()
    async def run(self) -> None:
        await asyncio.sleep(0)

    @classmethod
    @xray_task_async()
    async def sweep(cls) -> None:
        await asyncio.sleep(0)


@xray_task_async(_url_path="/custom/path")
async def custom() -> None:
    await asyncio.sleep(0)


@app.post("/tasks/all")
async def all_tasks() -> dict[str, str]:
    for started in (failing_task(), Jobs().run(), Jobs.sweep(), custom()):
        background.add(started)
        started.add_done_callback(_settle)
    return {"status": "started"}


def _settle(task: asyncio.Task[None]) -> None:
    background.discard(task)
    if not task.cancelled():
        task.exception()


@app.get("/ok")
async def ok() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/status/{code}")
async def status(code: int) -> None:
    raise HTTPException(status_code=code, detail="as asked")


@app.get("/boom")
async def boom() -> None:
    try:
        raise KeyError("missing")
    except KeyError as exc:
        raise RuntimeError("the kettle is broken") from exc


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(3):
            await asyncio.sleep(STREAM_CHUNK_DELAY_S)
            yield b"chunk %d\n" % index

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/sync")
def sync_endpoint() -> dict[str, str]:
    return {"thread": threading.current_thread().name}


@app.post("/task")
async def task() -> dict[str, str]:
    started = _refresh("teapot")
    background.add(started)
    started.add_done_callback(background.discard)
    return {"status": "started"}


@app.post("/shape")
async def shape() -> dict[str, str]:
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
    return {"status": "shaped"}


@app.get("/outgoing")
async def outgoing(request: Request) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        response = await client.get(str(request.base_url) + "ok")
    return {"downstream": response.json()}


if os.environ.get("OTEL_ASGI") == "1":
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app = OpenTelemetryMiddleware(app)  # type: ignore[assignment]
