"""A downstream HTTP server on 127.0.0.1 that records the headers of every request:
the target of the instrumented clients' calls, a minimal DynamoDB endpoint
(``ListTables``) for botocore, or, given ``answers``, fixed routes (ECS task metadata,
EC2 instance metadata, the Kubernetes API) for the resource detectors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Downstream:
    url: str
    answers: Mapping[tuple[str, str], Any] | None = None
    """The fixed answers by ``(method, path)``; None: every route answers (see
    ``downstream``)."""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    """(method, path, headers with lowercase names), in arrival order."""

    def received(self, path: str, root: str) -> dict[str, str]:
        """Headers of the request to ``path`` whose ``X-Amzn-Trace-Id`` has ``root``."""
        for _method, seen_path, headers in self.requests:
            if seen_path == path and root in headers.get("x-amzn-trace-id", ""):
                return headers
        raise AssertionError(f"no request to {path} in trace {root}: {self.requests}")


@contextmanager
def downstream(answers: Mapping[tuple[str, str], Any] | None = None) -> Iterator[Downstream]:
    """Serve on a free port of 127.0.0.1 in a thread; stop afterwards. Without
    ``answers``, a GET answers ``{"ok": true}`` and a POST DynamoDB's ``ListTables``;
    with them, each ``(method, path)`` of ``answers`` answers its value (JSON-encoded
    unless ``str``) and any other route 404."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    state = Downstream(f"http://127.0.0.1:{server.server_address[1]}", answers)
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

    def _serve(self) -> None:
        state: Downstream = self.server.state  # type: ignore[attr-defined]
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        state.requests.append((self.command, self.path, headers))
        if state.answers is not None:
            answer = state.answers.get((self.command, self.path))
            body = answer if isinstance(answer, str) else json.dumps(answer)
            self._answer(404 if answer is None else 200, body.encode(), {})
        elif self.command == "POST":
            # DynamoDB's JSON 1.0 protocol: the operation is in X-Amz-Target.
            self._answer(
                200,
                json.dumps({"TableNames": ["orders"]}).encode(),
                {
                    "Content-Type": "application/x-amz-json-1.0",
                    "x-amzn-RequestId": "REQ0000000000000000000000000000000000000000000000001",
                },
            )
        else:
            self._answer(200, b'{"ok": true}', {"Content-Type": "application/json"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass
