"""FastAPI app traced by ``xray_middleware`` whose requests call out through the
OpenTelemetry instrumentations of httpx, aiohttp, requests, botocore and SQLAlchemy,
and log JSON lines with X-Ray trace ids.

Environment (set by the tests): ``XRAYSINK_TEST_MODE`` ("recorder": the 1.6.2 set-up
with ``xray_recorder.configure``; otherwise ``xraysink.configure``),
``DOWNSTREAM_URL`` (the server the calls go to), ``XRAYSINK_TEST_LOG_FILE`` (where
the JSON log lines go).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

import aiohttp
import botocore.session
import httpx
import requests
import sqlalchemy
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from starlette.middleware.base import BaseHTTPMiddleware

import xraysink
import xraysink.logs
from xraysink.asgi.middleware import xray_middleware

MODE = os.environ.get("XRAYSINK_TEST_MODE", "otel")
DOWNSTREAM = os.environ["DOWNSTREAM_URL"]

if MODE == "recorder":
    from aws_xray_sdk.core import xray_recorder

    from xraysink.config import set_xray_log_group
    from xraysink.context import AsyncContext

    xray_recorder.configure(
        service="instrumented-recorder",
        sampling=False,
        context=AsyncContext(),
        daemon_address="127.0.0.1:2000",
    )
    set_xray_log_group("/test/instrumented")
else:
    xraysink.configure(service="instrumented-otel", log_group="/test/instrumented")


class JsonLines(logging.Formatter):
    """The README's structured logging example: one JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname, "message": record.getMessage()}
        for key in ("traceId", "spanId"):
            if key in record.__dict__:
                line[key] = record.__dict__[key]
        return json.dumps(line)


xraysink.logs.install()
handler = logging.FileHandler(os.environ["XRAYSINK_TEST_LOG_FILE"])
handler.setFormatter(JsonLines())
log = logging.getLogger("orders.api")
log.addHandler(handler)
log.setLevel(logging.INFO)

HTTPXClientInstrumentor().instrument()
AioHttpClientInstrumentor().instrument()
RequestsInstrumentor().instrument()
BotocoreInstrumentor().instrument()
engine = sqlalchemy.create_engine("sqlite://")
SQLAlchemyInstrumentor().instrument(engine=engine)
dynamodb = botocore.session.get_session().create_client(
    "dynamodb",
    endpoint_url=DOWNSTREAM,
    region_name="eu-west-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
)
tracer = trace.get_tracer(__name__)

app = FastAPI()
app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)
log.info("app ready")


def _query() -> int:
    with engine.connect() as connection:
        return int(connection.execute(sqlalchemy.text("SELECT 1")).scalar_one())


@app.get("/calls")
async def calls() -> dict[str, Any]:
    log.info("calling out")
    async with httpx.AsyncClient() as client:
        await client.get(DOWNSTREAM + "/httpx")
    async with aiohttp.ClientSession() as session, session.get(DOWNSTREAM + "/aiohttp") as got:
        await got.read()
    await asyncio.to_thread(requests.get, DOWNSTREAM + "/requests", timeout=5)
    tables = await asyncio.to_thread(dynamodb.list_tables)
    rows = await asyncio.to_thread(_query)
    with tracer.start_as_current_span("summarise"):
        log.info("summarised")
    return {"tables": tables["TableNames"], "rows": rows}
