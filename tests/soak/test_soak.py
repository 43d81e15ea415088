"""Soak (issue 4 §4): a real uvicorn server, many requests at high concurrency, each
with three child spans; every request's documents arrive exactly once and the
server's RSS stays flat after warm-up. Run with ``make soak``; not in the default run.

``XRAYSINK_SOAK_REQUESTS`` (default 100,000) and ``XRAYSINK_SOAK_CONCURRENCY``
(default 64) size it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.e2e.xray import root_of
from tests.servers import daemon_env, serve, uvicorn
from xraysink.receiver.server import Receiver

pytestmark = pytest.mark.soak

REQUESTS = int(os.environ.get("XRAYSINK_SOAK_REQUESTS", "100000"))
CONCURRENCY = int(os.environ.get("XRAYSINK_SOAK_CONCURRENCY", "64"))
APP = "tests.reliability.app:app"


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> str:
    """One keep-alive HTTP/1.1 GET; returns the response's trace id (Root)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status = head.split(" ", 2)[1]
    headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
    headers = {key.lower(): value for key, value in headers.items()}
    await reader.readexactly(int(headers["content-length"]))
    assert status == "200", head
    fields = dict(part.split("=", 1) for part in headers["x-amzn-trace-id"].split(";"))
    return fields["Root"]


async def _load(host: str, port: int, count: int, trace_ids: list[str]) -> None:
    remaining = iter(range(count))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for _ in remaining:
            trace_ids.append(await _get(reader, writer, "/work"))
        writer.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def _server_stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(url + "/stats").json())


def test_soak_every_request_arrives_once_and_memory_stays_flat() -> None:
    entities: Counter[str] = Counter()
    segments: Counter[str] = Counter()

    def tally(receiver: Receiver) -> None:
        for record in receiver.take_records():
            document = record.document or {}
            trace_id = document.get("trace_id", "?")
            stack = [document]
            while stack:
                entity = stack.pop()
                entities[trace_id] += 1
                stack.extend(entity.get("subsegments", ()))
            if "type" not in document:
                segments[trace_id] += 1

    with (
        Receiver() as receiver,
        serve([*uvicorn(APP), "--no-access-log"], daemon_env(receiver.port)) as url,
    ):
        host, port = url.removeprefix("http://").split(":")
        first = httpx.get(url + "/work")
        trace_ids: list[str] = [root_of(first)]
        rss: list[tuple[int, int]] = []
        started = time.perf_counter()
        batch = max(REQUESTS // 10, 1)
        done = 1
        while done < REQUESTS:
            size = min(batch, REQUESTS - done)
            asyncio.run(_load(host, int(port), size, trace_ids))
            done += size
            tally(receiver)
            rss.append((done, _server_stats(url)["rss_kib"]))
        elapsed = time.perf_counter() - started
        assert receiver.wait_quiet(0.5, timeout=30)
        tally(receiver)
        counters = _server_stats(url)["stats"]
    per_request = entities[trace_ids[0]]
    missing = [t for t in trace_ids if entities[t] < per_request]
    duplicated = [t for t in trace_ids if entities[t] > per_request or segments[t] != 1]
    warm = rss[0][1]
    peak_after_warmup = max(value for _, value in rss)
    print(
        f"\nsoak: {REQUESTS} requests at concurrency {CONCURRENCY} in {elapsed:.1f} s "
        f"({REQUESTS / elapsed:.0f} req/s); {per_request} entities per request; "
        f"{sum(segments.values())} segments received, {len(missing)} requests missing "
        f"entities, {len(duplicated)} with duplicates; processor stats {counters}; "
        f"server RSS KiB after each tenth: {[value for _, value in rss]} "
        f"(warm-up {warm}, peak {peak_after_warmup}, growth {peak_after_warmup - warm})"
    )
    assert len(set(trace_ids)) == REQUESTS
    assert missing == []
    assert duplicated == []
    assert counters.get("dropped", 0) == 0
    assert peak_after_warmup - warm < 16 * 1024
