"""A downstream HTTP service for outgoing-call tests: answers ``200 ok`` to every GET
and keeps each request's headers (``HeaderServer.headers_seen``)."""

from __future__ import annotations

import http.server
import threading
from types import TracebackType
from typing import Any


class _Handler(http.server.BaseHTTPRequestHandler):
    server: HeaderServer

    def do_GET(self) -> None:
        self.server.headers_seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HeaderServer(http.server.ThreadingHTTPServer):
    """Listening on 127.0.0.1 (a free port) once built; serves in a thread inside a
    ``with`` block. ``url`` is its base URL."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.headers_seen: list[dict[str, str]] = []
        self.url = f"http://127.0.0.1:{self.server_port}"

    def __enter__(self) -> HeaderServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()
        self.server_close()
