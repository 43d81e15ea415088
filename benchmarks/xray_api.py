"""The X-Ray API emitter against the UDP emitter: what the request path pays, and
what its sender thread costs and sustains.

1. Request path: ``XRaySpanProcessor.on_end`` of a typical HTTP SERVER span (translate,
   serialize, hand to the emitter) with the UDP emitter (a ``sendto`` to a sink in
   another process) and with the X-Ray API emitter (an append to its queue, its
   sender running against the local endpoint). CPU time of the calling thread
   (``time.thread_time``), so the sender's own CPU is not counted there; rounds
   alternate which emitter goes first; medians over rounds.
2. Sender: ``QUEUED`` documents queued at once, flushed to a local endpoint in another
   process that answers ``{"UnprocessedTraceSegments": []}``: the sender thread's CPU
   per document (``time.thread_time`` inside it) and documents per second until the
   flush returns. The X-Ray service itself accepts about 2,600 segments per second per
   region.

Run: ``python -m benchmarks.xray_api [--quick]``; prints markdown tables.
``python -m benchmarks.xray_api serve`` is the endpoint (prints its port, then its
counts as JSON when its stdin closes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from benchmarks.sinks import UdpSink
from benchmarks.spans import typical_server_span
from xraysink import XRaySpanProcessor
from xraysink.emitters.udp import UDPDaemonEmitter
from xraysink.emitters.xray_api import XRayAPIEmitter
from xraysink.export.serialize import encode_documents
from xraysink.translate import translate_span

_ACCEPTED = b'{"UnprocessedTraceSegments":[]}'


class Endpoint:
    """``python -m benchmarks.xray_api serve`` in another process; ``url`` is its base."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.xray_api", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self._process.stdout.readline())}"

    def stop(self) -> dict[str, int]:
        out, _ = self._process.communicate(timeout=30)
        counts: dict[str, int] = json.loads(out)
        return counts


class TimedEmitter(XRayAPIEmitter):
    """Adds up the CPU time its sender thread spends sending."""

    sender_cpu = 0.0

    def _drain(self) -> None:
        started = time.thread_time()
        try:
            super()._drain()
        finally:
            self.sender_cpu += time.thread_time() - started


def _environment() -> None:
    # Fake credentials and a local endpoint only: nothing leaves 127.0.0.1.
    os.environ.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_REGION="us-east-1",
    )


def request_path(endpoint: str, number: int, rounds: int) -> dict[str, float]:
    """µs of the calling thread's CPU per ``on_end``, UDP and API, medians over rounds."""
    span = typical_server_span()
    sink = UdpSink()
    udp = UDPDaemonEmitter(f"127.0.0.1:{sink.port}")
    api = XRayAPIEmitter(endpoint_url=endpoint, max_queue_documents=number * rounds + 1)
    processors = {"udp": XRaySpanProcessor(udp), "api": XRaySpanProcessor(api)}
    runs: dict[str, list[float]] = {"udp": [], "api": []}
    ratios: list[float] = []
    for index in range(rounds):
        timed: dict[str, float] = {}
        for name in ("udp", "api") if index % 2 == 0 else ("api", "udp"):
            on_end = processors[name].on_end
            started = time.thread_time()
            for _ in range(number):
                on_end(span)
            timed[name] = (time.thread_time() - started) / number * 1e6
            runs[name].append(timed[name])
        ratios.append(timed["api"] / timed["udp"])
    assert api.force_flush(60_000)
    api.shutdown()
    udp.close()
    sink.stop()
    api_stats = processors["api"].stats
    return {
        "udp_us": statistics.median(runs["udp"]),
        "api_us": statistics.median(runs["api"]),
        "ratio": statistics.median(ratios),
        "udp_spread": max(runs["udp"]) - min(runs["udp"]),
        "api_spread": max(runs["api"]) - min(runs["api"]),
        "api_documents": float(api_stats["api_documents"]),
        "api_dropped": float(api_stats["dropped"]),
        "documents": float(number * rounds),
    }


def sender(endpoint: str, queued: int, rounds: int) -> dict[str, float]:
    """The sender thread's CPU µs per document and documents per second, medians."""
    document = encode_documents(translate_span(typical_server_span())[0])[0]
    cpu: list[float] = []
    rates: list[float] = []
    calls = 0.0
    for _ in range(rounds):
        emitter = TimedEmitter(
            endpoint_url=endpoint, max_queue_documents=queued, max_queue_bytes=1 << 30
        )
        started = time.perf_counter()
        for _ in range(queued):
            emitter.send(document)
        assert emitter.force_flush(120_000)
        elapsed = time.perf_counter() - started
        assert emitter.stats["api_documents"] == queued, dict(emitter.stats)
        cpu.append(emitter.sender_cpu / queued * 1e6)
        rates.append(queued / elapsed)
        calls += emitter.stats["api_calls"]
        emitter.shutdown()
    return {
        "sender_us_per_document": statistics.median(cpu),
        "documents_per_second": statistics.median(rates),
        "documents_per_call": queued * rounds / calls,
        "document_bytes": float(len(document)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=["serve"])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.mode == "serve":
        _serve()
        return
    _environment()
    number, rounds, queued = (500, 5, 2_000) if args.quick else (2_000, 9, 10_000)
    endpoint = Endpoint()
    try:
        path = request_path(endpoint.url, number, rounds)
        sent = sender(endpoint.url, queued, max(3, rounds // 3))
    finally:
        received = endpoint.stop()
    print(f"Request path: on_end of a typical SERVER span, {rounds} rounds of {number},")
    print("CPU of the calling thread, medians (spread = max - min over rounds)\n")
    print("| emitter | µs per span | spread µs |")
    print("|---|---|---|")
    print(f"| UDP (sendto) | {path['udp_us']:.1f} | {path['udp_spread']:.1f} |")
    print(f"| X-Ray API (enqueue) | {path['api_us']:.1f} | {path['api_spread']:.1f} |")
    print(f"| ratio API / UDP (median of rounds) | {path['ratio']:.2f} | |")
    print(
        f"\nAPI documents accepted {path['api_documents']:.0f} of {path['documents']:.0f},"
        f" dropped {path['api_dropped']:.0f}\n"
    )
    print(f"Sender: {queued} documents of {sent['document_bytes']:.0f} bytes queued, flushed\n")
    print("| sender CPU µs per document | documents per second | documents per call |")
    print("|---|---|---|")
    print(
        f"| {sent['sender_us_per_document']:.1f} | {sent['documents_per_second']:,.0f} |"
        f" {sent['documents_per_call']:.1f} |"
    )
    print(f"\nEndpoint received {received['documents']} documents in {received['calls']} calls")


def _serve() -> None:
    counts = {"calls": 0, "documents": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK, 40 ms a call.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            documents = len(orjson.loads(body)["TraceSegmentDocuments"])
            with lock:
                counts["calls"] += 1
                counts["documents"] += documents
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(_ACCEPTED)))
            self.end_headers()
            self.wfile.write(_ACCEPTED)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
