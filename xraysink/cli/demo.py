"""``xraysink demo``: the FastAPI example under a real uvicorn server, traced to the
embedded receiver, every trace printed as a tree.

Exits 0 only if every request's trace arrived and every document was valid
(the X-Ray segment document spec). Needs the ``examples`` extra (uvicorn, FastAPI, httpx).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from xraysink.receiver.sampling import SamplingServer, parse_sampling_rules
from xraysink.receiver.server import Receiver
from xraysink.receiver.tree import build_traces, render_trace

#: The demo app, shipped in the package so that ``xraysink demo`` runs from a wheel.
DEMO_APP = "xraysink.cli.demo_app:app"
_READY = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
_CALLER_PARENT = "53995c3f42cd8ad8"
#: The rules the demo's daemon stand-in serves (X-Ray's SamplingRule shape).
SAMPLING_RULES = [
    {
        "RuleName": "health",
        "Priority": 1,
        "FixedRate": 0.0,
        "ReservoirSize": 0,
        "URLPath": "/health",
    },
    {"RuleName": "Default", "Priority": 10000, "FixedRate": 1.0, "ReservoirSize": 0},
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xraysink demo", description=__doc__)
    parser.add_argument("--app", default=DEMO_APP, help="the ASGI app, as module:attribute")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for the server"
    )
    parser.add_argument(
        "--html",
        type=Path,
        default=Path(tempfile.gettempdir()) / "xraysink-demo.html",
        help="where to write the traces as a trace viewer page",
    )
    args = parser.parse_args(argv)
    try:
        import httpx
    except ImportError:
        print("xraysink demo needs the examples extra: pip install 'xraysink[examples]'")
        return 2
    with Receiver() as receiver, _sampling_rules() as rules:
        print(f"receiver listening on {receiver.address}", flush=True)
        print(f"sampling rules on {rules.endpoint}: /health never sampled", flush=True)
        # The X-Ray SDKs' two-address form: documents over UDP, the sampling API on TCP.
        daemon = f"udp:127.0.0.1:{receiver.port} tcp:127.0.0.1:{rules.port}"
        server, base_url = _start_server(args.app, daemon, args.timeout)
        try:
            _await_rules(httpx, base_url, rules)
            roots, unsampled = _send_requests(httpx, base_url)
            receiver.wait_for(lambda docs: roots <= {d.get("trace_id") for d in docs}, 10.0)
            receiver.wait_quiet(0.5, 10.0)
        finally:
            server.terminate()
            server.wait(10)
        status = _report(receiver, roots, unsampled)
        _write_viewer(receiver, args.html)
        return status


def _sampling_rules() -> SamplingServer:
    # A free TCP port of its own: the receiver's UDP port number may be taken in TCP.
    return SamplingServer(parse_sampling_rules(SAMPLING_RULES), "127.0.0.1", 0)


def _await_rules(httpx: Any, base_url: str, rules: SamplingServer) -> None:
    # The X-Ray SDK's sampler starts polling on the first request it decides (decided by
    # its local fallback, 1 a second plus 5%); the demo's requests wait for the rules.
    httpx.get(base_url + "/items/1", timeout=10)
    if not rules.rules_served.wait(10):
        raise SystemExit("the app's sampler did not ask for sampling rules within 10 s")
    time.sleep(0.3)


def _write_viewer(receiver: Receiver, path: Path) -> None:
    from xraysink.viewer.page import write_html
    from xraysink.viewer.store import TraceStore

    store = TraceStore()
    store.add(receiver.records)
    try:
        write_html(path, store)
    except OSError as error:
        print(f"(the trace viewer page could not be written: {error})")
        return
    print(
        f"\nSee the traces in a browser: file://{path.resolve()}\n"
        "Live, for your own app: xraysink listen --ui, then open http://127.0.0.1:2001/"
    )


def _start_server(
    app: str, daemon_address: str, timeout: float
) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ]
    env = {**os.environ, "AWS_XRAY_DAEMON_ADDRESS": daemon_address}
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    found = threading.Event()
    url: list[str] = []

    def relay() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            print("  [uvicorn] " + line, end="", flush=True)
            match = _READY.search(line)
            if match and not found.is_set():
                url.append(match.group(1))
                found.set()

    threading.Thread(target=relay, daemon=True).start()
    if not found.wait(timeout):
        server.kill()
        raise SystemExit(f"uvicorn did not start within {timeout} s")
    return server, url[0]


def _new_root() -> str:
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def _send_requests(httpx: Any, base_url: str) -> tuple[set[str], set[str]]:
    """Send the demo's requests; returns the trace ids that must arrive and those that
    must not (a sampling rule drops them)."""
    # The unhandled error's 500 comes from Starlette's outermost middleware, past the
    # point where a response header can be added: a caller's header names its trace.
    boom_root = _new_root()
    caller = f"Root={_new_root()};Parent={_CALLER_PARENT};Sampled=1"
    requests: list[tuple[str, str, dict[str, str]]] = [
        ("GET", "/items/1", {}),
        ("GET", "/items/42", {}),
        ("GET", "/boom", {"X-Amzn-Trace-Id": f"Root={boom_root}"}),
        ("GET", "/items/1", {"X-Amzn-Trace-Id": caller}),
        ("POST", "/items/1/refresh", {}),
        ("GET", "/inventory", {}),
        ("GET", "/health", {}),
    ]
    roots: set[str] = set()
    unsampled: set[str] = set()
    for method, path, headers in requests:
        # A connection of its own each: uvicorn closes the one that carried the 500.
        response = httpx.request(method, base_url + path, headers=headers, timeout=10)
        header = response.headers.get("x-amzn-trace-id", "")
        sent = headers.get("X-Amzn-Trace-Id", "")
        root = (header or sent).partition("Root=")[2].partition(";")[0]
        (unsampled if path == "/health" else roots).add(root)
        shown = header or "(none)"
        print(f"{method} {path} -> {response.status_code}  X-Amzn-Trace-Id: {shown}", flush=True)
    return roots, unsampled


def _report(receiver: Receiver, roots: set[str], unsampled: set[str]) -> int:
    documents = receiver.documents
    traces = build_traces(documents)
    print()
    for trace in sorted(traces.values(), key=lambda t: min(e.start_time or 0 for e in t.entities)):
        print(render_trace(trace))
        print()
    errors = receiver.errors
    for error in errors:
        print("INVALID " + error)
    missing = roots - traces.keys()
    for root in sorted(missing):
        print(f"MISSING trace {root}: no document arrived")
    sampled = unsampled & traces.keys()
    for root in sorted(sampled):
        print(f"UNEXPECTED trace {root}: the sampling rule for /health should have dropped it")
    if not sampled:
        print(f"GET /health: not sampled (rule 'health'), {len(unsampled)} trace id, no document")
    entities = sum(trace.entity_count for trace in traces.values())
    print(
        f"{receiver.count} datagrams, {len(traces)} traces, {entities} entities, "
        f"{len(errors)} invalid, {len(missing)} missing"
    )
    return 0 if not errors and not missing and not sampled and receiver.count else 1
