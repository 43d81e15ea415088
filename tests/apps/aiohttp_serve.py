"""Serving an aiohttp test app on a free port of 127.0.0.1, announced the way
``tests.servers.serve`` waits for: ``listening on http://127.0.0.1:PORT``."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve_forever(app: web.Application) -> None:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()
