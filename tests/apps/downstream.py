"""A downstream HTTP server on 127.0.0.1 that records the headers of every request:
the target of the instrumented clients' calls, and a minimal DynamoDB endpoint
(``ListTables``) for botocore."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Downstream:
    url: str
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    """(method, path, headers with lowercase names), in arrival order."""

    def received(self, path: str, root: str) -> dict[str, str]:
        """Headers of the request to ``path`` whose ``X-Amzn-Trace-Id`` has ``root``."""
        for _method, seen_path, headers in self.requests:
            if seen_path == path and root in headers.get("x-amzn-trace-id", ""):
                return headers
        raise AssertionError(f"no request to {path} in trace {root}: {self.requests}")


@contextmanager
def downstream() -> Iterator[Downstream]:
    """Serve on a free port of 127.0.0.1 in a thread; stop afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Downstream(f"http://127.0.0.1:{server.server_address[1]}")
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _record(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.server.state.requests.append((self.command, self.path, headers))  # type: ignore[attr-defined]

    def _answer(self, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._record()
        self._answer(b'{"ok": true}', "application/json", {})

    def do_POST(self) -> None:
        self._record()
        # DynamoDB's JSON 1.0 protocol: the operation is in X-Amz-Target.
        self._answer(
            json.dumps({"TableNames": ["orders"]}).encode(),
            "application/x-amz-json-1.0",
            {"x-amzn-RequestId": "REQ0000000000000000000000000000000000000000000000001"},
        )

    def log_message(self, format: str, *args: object) -> None:
        pass
