"""FastAPI app calling the X-Ray SDK API inside requests, for the recorder bridge tests.

``XRAYSINK_TEST_MODE``: ``recorder`` (the 1.6.2 set-up: ``AsyncContext`` and
``xray_middleware``) or ``otel`` (``xraysink.configure`` and the OpenTelemetry ASGI
middleware, no xraysink middleware). ``/patched?echo=URL`` calls ``URL`` through the
SDK's ``httplib``, ``requests`` and ``botocore`` patches and runs an ``sqlite3`` query.
"""

from __future__ import annotations

import asyncio
import contextvars
import http.client
import os
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import requests
from aws_xray_sdk.core import patch, xray_recorder
from fastapi import FastAPI
from opentelemetry import trace

from xraysink.tasks import xray_task_async

MODE = os.environ.get("XRAYSINK_TEST_MODE", "recorder")

app = FastAPI()
if MODE == "recorder":
    from starlette.middleware.base import BaseHTTPMiddleware

    from xraysink.asgi.middleware import xray_middleware
    from xraysink.context import AsyncContext

    xray_recorder.configure(service="bridge-app", sampling=False, context=AsyncContext())
    app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)
else:
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    import xraysink

    xraysink.configure(service="bridge-app")
    app.add_middleware(OpenTelemetryMiddleware)

patch(("httplib", "requests", "botocore", "sqlite3"))
tracer = trace.get_tracer(__name__)


def _ids(entity: Any) -> dict[str, Any]:
    return {"trace_id": entity.trace_id, "id": entity.id, "sampled": entity.sampled}


def _current_span() -> dict[str, Any]:
    context = trace.get_current_span().get_span_context()
    digits = format(context.trace_id, "032x")
    return {
        "trace_id": f"1-{digits[:8]}-{digits[8:]}",
        "id": format(context.span_id, "016x"),
        "sampled": context.trace_flags.sampled,
    }


@xray_recorder.capture("sync capture")
def sync_work() -> int:
    xray_recorder.put_annotation("where", "sync")
    return 1


@xray_recorder.capture_async("async capture")
async def async_work() -> int:
    await asyncio.sleep(0)
    xray_recorder.put_metadata("step", {"n": 2}, "work")
    return 2


@app.get("/sdk")
async def sdk() -> dict[str, Any]:
    seen: dict[str, Any] = {
        "span": _current_span(),
        "entity": _ids(xray_recorder.get_trace_entity()),
        "segment": _ids(xray_recorder.current_segment()),
    }
    segment = xray_recorder.current_segment()
    segment.put_annotation("tenant", "t-1")
    segment.set_user("alice")
    segment.put_metadata("request", {"kind": "sdk"}, "app")
    with xray_recorder.in_subsegment("sdk block") as block:
        seen["block"] = _ids(block)
        seen["block_span"] = _current_span()
        seen["block_current"] = _ids(xray_recorder.current_subsegment())
        block.put_annotation("rows", 3)
        xray_recorder.put_metadata("cache", {"hit": True}, "db")
        with tracer.start_as_current_span("otel inside sdk"):
            seen["otel_in_block"] = _current_span()
            with xray_recorder.in_subsegment("sdk inside otel"):
                pass
        sync_work()
        await async_work()
    try:
        with xray_recorder.in_subsegment("failing"):
            raise ValueError("boom")
    except ValueError:
        pass
    remote = xray_recorder.begin_subsegment("remote call", "remote")
    remote.put_http_meta("url", "http://example.invalid/items")
    remote.put_http_meta("method", "GET")
    remote.put_http_meta("status", 503)
    xray_recorder.end_subsegment()
    return seen


@app.get("/patched")
def patched(echo: str) -> dict[str, Any]:
    target = urlsplit(echo)
    connection = http.client.HTTPConnection(target.hostname or "", target.port)
    connection.request("GET", "/echo")
    connection.getresponse().read()
    connection.close()
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=echo,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    tables = client.list_tables()["TableNames"]
    requests.get(echo + "/requests", timeout=10).raise_for_status()
    database = sqlite3.connect(":memory:")
    database.cursor().execute("select 1").fetchall()
    database.close()
    return {"span": _current_span(), "tables": tables}


@app.get("/aiohttp")
async def aiohttp_call(echo: str) -> dict[str, Any]:
    """The SDK's aiohttp client support: a trace config (``patch()`` has no aiohttp)."""
    import aiohttp
    from aws_xray_sdk.ext.aiohttp.client import aws_xray_trace_config

    async with aiohttp.ClientSession(trace_configs=[aws_xray_trace_config()]) as session:
        async with session.get(echo + "/aio") as response:
            await response.read()
    return {"span": _current_span()}


@xray_task_async()
async def background(key: str) -> None:
    with xray_recorder.in_subsegment("background step") as step:
        step.put_annotation("key", key)
        await asyncio.sleep(0.01)


@app.get("/gather/{key}")
async def gather(key: str) -> dict[str, Any]:
    async def child(index: int) -> str:
        async with xray_recorder.in_subsegment_async(f"child {index}") as subsegment:
            subsegment.put_annotation("key", key)
            await asyncio.sleep(0.005 * (index % 3))
            return str(subsegment.id)

    task = background(key)
    ids = await asyncio.gather(*(child(index) for index in range(5)))
    await task
    return {"span": _current_span(), "children": ids}


def _in_thread(name: str) -> None:
    with xray_recorder.in_subsegment(name):
        pass


async def _in_task(name: str) -> None:
    async with xray_recorder.in_subsegment_async(name):
        await asyncio.sleep(0)


@app.get("/contexts")
async def contexts() -> dict[str, Any]:
    """Subsegments made across every way work leaves the request's coroutine."""
    names = ["to_thread", "run_in_executor", "create_task", "executor submit"]
    names += ["set_trace_entity"]
    await asyncio.to_thread(_in_thread, "to_thread")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, contextvars.copy_context().run, _in_thread, "run_in_executor")
    await asyncio.create_task(_in_task("create_task"))
    if sys.version_info >= (3, 11):
        names += ["create_task context", "task group"]
        await asyncio.create_task(
            _in_task("create_task context"), context=contextvars.copy_context()
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(_in_task("task group"))
    entity = xray_recorder.get_trace_entity()

    def sdk_style() -> None:
        xray_recorder.set_trace_entity(entity)
        _in_thread("set_trace_entity")
        xray_recorder.clear_trace_entities()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(contextvars.copy_context().run, _in_thread, "executor submit").result()
        pool.submit(sdk_style).result()
        leaked = pool.submit(lambda: trace.get_current_span().get_span_context().is_valid)
        names_leaked = leaked.result()
    return {"span": _current_span(), "names": names, "leaked": names_leaked}


@app.get("/sync")
def sync_endpoint() -> dict[str, Any]:
    with xray_recorder.in_subsegment("sync endpoint") as subsegment:
        return {"span": _current_span(), "id": subsegment.id}
