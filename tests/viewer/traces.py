"""Segment documents like the demo's, as datagrams: a FastAPI request calling another
service and DynamoDB, a request starting a background task, an error, a fault, and a
document whose every text field is hostile markup."""

from __future__ import annotations

import os
import time
from typing import Any

BASE = float(int(time.time()))


def trace_id() -> str:
    return f"1-{int(BASE):08x}-{os.urandom(12).hex()}"


def span_id() -> str:
    return os.urandom(8).hex()


def entity(name: str, start: float, end: float | None, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name, "id": span_id(), "start_time": BASE + start}
    if end is None:
        doc["in_progress"] = True
    else:
        doc["end_time"] = BASE + end
    return {**doc, **fields}


def http(method: str, url: str, status: int | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"request": {"method": method, "url": url}}
    if status is not None:
        block["response"] = {"status": status}
    return block


def inventory_trace() -> list[dict[str, Any]]:
    """GET /inventory (120 ms): FastAPI subsegments, a call to the stock service (which
    reports its own segment, with a database call) and a DynamoDB call."""
    tid = trace_id()
    call = entity("stock", 0.010, 0.060, namespace="remote", http=http("GET", "http://stock/", 200))
    dynamo = entity(
        "DynamoDB",
        0.065,
        0.095,
        namespace="aws",
        aws={"operation": "GetItem", "table_name": "items", "region": "eu-west-1"},
        http={"response": {"status": 200}},
    )
    endpoint = entity("fastapi.endpoint", 0.005, 0.110, subsegments=[call, dynamo])
    root = entity(
        "inventory",
        0.0,
        0.120,
        trace_id=tid,
        http=http("GET", "http://127.0.0.1:8000/inventory", 200),
        annotations={"customer": "alice", "tier": 1},
        metadata={"default": {"http.route": "/inventory"}},
        subsegments=[
            entity("fastapi.dependencies", 0.002, 0.004),
            endpoint,
            entity("fastapi.serialization", 0.111, 0.114),
        ],
    )
    database = entity(
        "postgres@db",
        0.020,
        0.050,
        namespace="remote",
        sql={"database_type": "PostgreSQL", "sanitized_query": "SELECT count FROM stock"},
    )
    stock = entity(
        "stock",
        0.015,
        0.055,
        trace_id=tid,
        parent_id=call["id"],
        origin="AWS::EC2::Instance",
        http=http("GET", "http://stock/", 200),
        subsegments=[database],
    )
    return [root, stock]


def refresh_trace() -> list[dict[str, Any]]:
    """POST /items/1/refresh (10 ms) starting a task (a segment of its own, 40 ms), an
    independent subsegment of the task, and one still in progress."""
    tid = trace_id()
    create = entity("Create Task: refresh_cache", 0.004, 0.005)
    root = entity(
        "inventory",
        0.0,
        0.010,
        trace_id=tid,
        http=http("POST", "http://127.0.0.1:8000/items/1/refresh", 202),
        subsegments=[create],
    )
    task = entity(
        "inventory",
        0.006,
        0.046,
        trace_id=tid,
        parent_id=create["id"],
        http={"request": {"url": "task://localhost/refresh_cache"}},
    )
    write = entity(
        "cache.write", 0.010, 0.030, type="subsegment", trace_id=tid, parent_id=task["id"]
    )
    flush = entity(
        "cache.flush", 0.032, None, type="subsegment", trace_id=tid, parent_id=task["id"]
    )
    return [root, task, write, flush]


def boom_trace() -> list[dict[str, Any]]:
    """GET /boom: a 500 with the exception and its stack."""
    cause = {
        "exceptions": [
            {
                "id": span_id(),
                "type": "RuntimeError",
                "message": "the kettle is broken",
                "stack": [
                    {"path": "examples/fastapi/app.py", "line": 54, "label": "boom"},
                    {"path": "fastapi/routing.py", "line": 381, "label": "run_endpoint_function"},
                ],
            }
        ]
    }
    return [
        entity(
            "inventory",
            0.0,
            0.003,
            trace_id=trace_id(),
            http=http("GET", "http://127.0.0.1:8000/boom", 500),
            fault=True,
            cause=cause,
        )
    ]


def missing_trace() -> list[dict[str, Any]]:
    """GET /items/42: a 404 for customer bob."""
    return [
        entity(
            "inventory",
            0.0,
            0.002,
            trace_id=trace_id(),
            http=http("GET", "http://127.0.0.1:8000/items/42", 404),
            error=True,
            annotations={"customer": "bob"},
        )
    ]


SCRIPT = "<script>window.__xss = 1</script>"
IMAGE = '<img src="x" onerror="window.__xss = 2">'


def hostile_trace() -> list[dict[str, Any]]:
    """A valid document with markup in every free-text field X-Ray accepts."""
    cause = {
        "exceptions": [
            {
                "id": span_id(),
                "type": SCRIPT,
                "message": IMAGE,
                "stack": [{"path": IMAGE, "line": 1, "label": SCRIPT}],
            }
        ]
    }
    return [
        entity(
            "hostile",
            0.0,
            0.004,
            trace_id=trace_id(),
            http={
                "request": {"method": SCRIPT, "url": "http://x/" + IMAGE, "user_agent": SCRIPT},
                "response": {"status": 500},
            },
            fault=True,
            annotations={"note": IMAGE, "script": SCRIPT},
            metadata={"default": {SCRIPT: IMAGE}, IMAGE: {"k": SCRIPT}},
            cause=cause,
        )
    ]


def hostile_rejected() -> dict[str, Any]:
    """A document X-Ray rejects: markup in its name and an annotation key."""
    return entity(SCRIPT, 0.0, 0.001, trace_id=trace_id(), annotations={IMAGE: SCRIPT})


def demo_like() -> dict[str, list[dict[str, Any]]]:
    """Every trace above but the hostile one, by name."""
    return {
        "inventory": inventory_trace(),
        "refresh": refresh_trace(),
        "boom": boom_trace(),
        "missing": missing_trace(),
    }
