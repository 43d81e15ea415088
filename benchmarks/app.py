"""The benchmarked FastAPI app: one route with 3 nested child operations, 2 attributes each.

``build_app(scenario, ...)`` wires one tracing set-up around the same route; the
child operations are made with the API that set-up's users call (X-Ray SDK
subsegments for the native path and the 1.6.2 call sites' ``_sdk`` scenarios, the
OpenTelemetry API otherwise).
``drive(app, count)`` sends ``count`` GET requests straight into the ASGI app, one
after another, with no server or network in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from fastapi import FastAPI

ChildFactory = Callable[[str, dict[str, Any]], AbstractContextManager[Any]]

#: Each child operation: (name, its two attributes). Nested in this order.
CHILDREN: tuple[tuple[str, dict[str, Any]], ...] = (
    ("load order", {"order.id": "42", "order.lines": 3}),
    ("query orders", {"db.table": "orders", "db.rows": 3}),
    ("render order", {"render.format": "json", "render.items": 3}),
)
PATH = "/orders/42"

_REQUEST = {"type": "http.request", "body": b"", "more_body": False}
_DISCONNECT = {"type": "http.disconnect"}
_SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": PATH,
    "raw_path": PATH.encode(),
    "query_string": b"expand=lines",
    "root_path": "",
    "headers": [
        (b"host", b"orders.internal:8080"),
        (b"user-agent", b"python-httpx/0.28.1"),
        (b"accept", b"*/*"),
    ],
    "client": ("10.0.3.17", 53122),
    "server": ("10.0.3.2", 8080),
}


@contextmanager
def _no_child(name: str, attributes: dict[str, Any]) -> Iterator[None]:
    yield


def build_app(
    child: ChildFactory | None = None,
    *,
    fastapi_tracing: bool | None,
    operation_spans: bool | None = None,
) -> FastAPI:
    """The app, with ``child(name, attributes)`` around each child operation.

    ``fastapi_tracing``: FastAPI's own SERVER span; ``operation_spans``: its
    ``fastapi.*`` spans (dependencies, endpoint, serialization) inside it; None
    leaves the setting out of ``FastAPI(telemetry=...)``, as an app that never
    chose (both None: ``FastAPI()``).
    """
    make = child or _no_child
    settings = {"tracing": fastapi_tracing, "operation_spans": operation_spans}
    telemetry: Any = {key: value for key, value in settings.items() if value is not None}
    app = FastAPI(telemetry=telemetry or None)

    @app.get("/orders/{order_id}")
    async def order(order_id: str) -> dict[str, Any]:
        (first, first_attrs), (second, second_attrs), (third, third_attrs) = CHILDREN
        with make(first, first_attrs):
            with make(second, second_attrs):
                with make(third, third_attrs):
                    lines = [{"sku": "tea", "qty": 3}]
        return {"id": order_id, "lines": lines}

    return app


async def request(app: Callable[..., Awaitable[None]]) -> int:
    """One GET through the ASGI app; returns the response status."""
    finished = asyncio.Event()
    received = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return _REQUEST
        # A client that stays connected until the response is complete.
        await finished.wait()
        return _DISCONNECT

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(dict(_SCOPE, headers=list(_SCOPE["headers"]), state={}), receive, send)
    return status


async def drive(app: Callable[..., Awaitable[None]], count: int) -> int:
    """Send ``count`` requests one after another; returns how many answered 200."""
    ok = 0
    for _ in range(count):
        if await request(app) == 200:
            ok += 1
    return ok
