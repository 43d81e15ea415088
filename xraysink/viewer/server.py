"""The viewer's HTTP server: the page and a read-only JSON API, on 127.0.0.1 by default.

Routes (GET only): ``/`` the page, ``/app.js`` and ``/style.css`` its code, and
``/api/status`` (``TraceStore.stats``), ``/api/traces`` (stats and trace summaries),
``/api/trace/<trace_id>`` (one waterfall, 404 when not held), ``/api/map`` (the service
map), ``/api/invalid`` (stats and the datagrams X-Ray would reject). Built on the
standard library's ``ThreadingHTTPServer``: eight read-only routes need no web framework.

Documents are untrusted: JSON is served as ``application/json`` with ``nosniff``, the
page under a Content-Security-Policy that allows only its own script and style, and a
request naming a host other than ``localhost`` or an IP address is refused, so a web
page on another site cannot read traces through DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

from xraysink.receiver.server import split_address
from xraysink.viewer.store import TraceStore

DEFAULT_ADDRESS = "127.0.0.1:2001"
"""Where ``xraysink listen --ui`` serves the viewer unless told otherwise."""

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Content-Security-Policy of the page: its own script and style only, no inline code."""

_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


def static_text(name: str) -> str:
    """The text of ``name`` in the package's ``static`` folder (package data)."""
    return resources.files("xraysink.viewer").joinpath("static").joinpath(name).read_text("utf-8")


def _allowed_host(header: str | None) -> bool:
    if not header:
        return False
    host = urlsplit("//" + header).hostname or ""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if not _allowed_host(self.headers.get("Host")):
            self._send(HTTPStatus.FORBIDDEN, b"unknown host\n", "text/plain; charset=utf-8")
            return
        path = urlsplit(self.path).path
        if path in _STATIC:
            name, content_type = _STATIC[path]
            self._send(HTTPStatus.OK, self.server.files[name], content_type)
            return
        store = self.server.store
        body: Any
        if path == "/api/status":
            body = store.stats()
        elif path == "/api/traces":
            body = {"stats": store.stats(), "traces": store.summaries()}
        elif path == "/api/map":
            body = store.service_map()
        elif path == "/api/invalid":
            body = {"stats": store.stats(), "rejected": store.rejected()}
        elif path.startswith("/api/trace/"):
            body = store.waterfall(unquote(path.removeprefix("/api/trace/")))
            if body is None:
                self._json(HTTPStatus.NOT_FOUND, {"error": "trace not held"})
                return
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "no such page"})
            return
        self._json(HTTPStatus.OK, body)

    def _json(self, status: HTTPStatus, body: Any) -> None:
        encoded = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
        self._send(status, encoded, "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", PAGE_POLICY)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The listener's output is for traces; page requests would drown them.
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: TraceStore) -> None:
        self.store = store
        self.files = {name: static_text(name).encode() for name, _ in _STATIC.values()}
        super().__init__(address, _Handler)


class _Server6(_Server):
    address_family = socket.AF_INET6


class ViewerServer:
    """Serve ``store`` over HTTP at ``address`` (``"HOST:PORT"``, port 0 picks a free one)
    from a background thread until ``close()``. Raises ``ValueError`` for a malformed
    address and ``OSError`` when it cannot be bound."""

    def __init__(self, store: TraceStore, address: str = DEFAULT_ADDRESS) -> None:
        host, port = split_address(address)
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, port), store)
        self._host = host
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="xraysink-viewer",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The page's address, ``http://HOST:PORT/`` with the bound port."""
        port = self._server.server_address[1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{port}/"

    def close(self) -> None:
        """Stop serving and release the port; idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
