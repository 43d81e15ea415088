"""Servers traced by OpenTelemetry instrumentations only (no ``xray_middleware``),
configured with ``xraysink.configure``.

``OTEL_SERVER`` (set by the tests) picks the ASGI app served by uvicorn: "fastapi"
(FastAPI with ``FastAPIInstrumentor``) or "asgi" (Starlette wrapped in the ASGI
instrumentation's ``OpenTelemetryMiddleware``). ``python otel_servers.py`` serves
an aiohttp app instrumented by ``opentelemetry-instrumentation-aiohttp-server``
and prints ``listening on http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from opentelemetry import trace

import xraysink
from tests.apps.aiohttp_serve import serve_forever

xraysink.configure(service="otel-server")
tracer = trace.get_tracer(__name__)


def _work() -> dict[str, Any]:
    with tracer.start_as_current_span("work") as span:
        return {"work": format(span.get_span_context().span_id, "016x")}


def _asgi_app() -> Any:
    if os.environ.get("OTEL_SERVER") == "fastapi":
        from fastapi import FastAPI
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        fastapi_app = FastAPI()
        fastapi_app.get("/hello")(_work)
        FastAPIInstrumentor.instrument_app(fastapi_app)
        return fastapi_app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hello(request: Request) -> JSONResponse:
        return JSONResponse(_work())

    return OpenTelemetryMiddleware(Starlette(routes=[Route("/hello", hello)]))


async def _serve_aiohttp() -> None:
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor

    AioHttpServerInstrumentor().instrument()
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.json_response(_work())

    web_app = web.Application()
    web_app.router.add_get("/hello", hello)
    await serve_forever(web_app)


if __name__ == "__main__":
    asyncio.run(_serve_aiohttp())
else:
    app = _asgi_app()
