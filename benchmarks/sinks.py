"""Receivers that stand in for the X-Ray daemon and the collector, in another process.

``UdpSink`` runs ``python -m benchmarks.sinks udp``: a plain UDP socket on
127.0.0.1 (port 0) that counts datagrams and bytes, checks the first document
against what X-Ray accepts (and returns it), and counts the entities (segments and
embedded subsegments) in the first ``SAMPLED_DATAGRAMS`` datagrams. ``OtlpSink``
runs ``python -m benchmarks.sinks otlp``: an HTTP server that answers
``POST /v1/traces`` with 200 and counts requests, bytes and the spans in them.
Each prints its port, then its counts as JSON when its stdin closes.
Receiving in another process keeps the receiver's CPU and GIL out of the figures.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from xraysink.receiver import entities_per_trace, parse_datagram, validate_document

#: Datagrams the UDP sink decodes to count entities (the first is also validated).
SAMPLED_DATAGRAMS = 50


class _Sink:
    kind = ""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.sinks", self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())

    def stop(self) -> dict[str, Any]:
        """Stop the sink; return its counts."""
        out, _ = self._process.communicate(timeout=30)
        counts: dict[str, Any] = json.loads(out)
        return counts


class UdpSink(_Sink):
    kind = "udp"


class OtlpSink(_Sink):
    kind = "otlp"


def _serve_udp() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.bind(("127.0.0.1", 0))
    counts: dict[str, Any] = {
        "datagrams": 0,
        "bytes": 0,
        "problems": [],
        "first": None,
        "sampled": 0,
        "sampled_entities": 0,
    }

    def drain() -> None:
        while True:
            try:
                data = sock.recv(70_000)
            except OSError:
                return
            if counts["sampled"] < SAMPLED_DATAGRAMS:
                # Parsing only a sample keeps the sink's CPU (on a 2-core machine)
                # from competing with the measured process.
                try:
                    document = parse_datagram(data)
                    if counts["datagrams"] == 0:
                        counts["first"] = document
                        counts["problems"] = validate_document(document)
                    counts["sampled_entities"] += sum(entities_per_trace([document]).values())
                except Exception as error:
                    counts["problems"].append(repr(error))
                counts["sampled"] += 1
            counts["datagrams"] += 1
            counts["bytes"] += len(data)

    threading.Thread(target=drain, daemon=True).start()
    _report(sock.getsockname()[1], counts)


def _serve_otlp() -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    counts: dict[str, Any] = {"requests": 0, "bytes": 0, "spans": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # Batches of up to 512 spans: few posts, so every one is decoded.
            export = ExportTraceServiceRequest.FromString(body)
            counts["spans"] += sum(
                len(scope.spans)
                for resource in export.resource_spans
                for scope in resource.scope_spans
            )
            counts["requests"] += 1
            counts["bytes"] += len(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _report(server.server_address[1], counts)


def _report(port: int, counts: dict[str, Any]) -> None:
    print(port, flush=True)
    sys.stdin.read()
    # Datagrams still queued in the kernel arrive within a moment of the sender's end.
    threading.Event().wait(0.2)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    {"udp": _serve_udp, "otlp": _serve_otlp}[sys.argv[1]]()
