"""A local HTTP server speaking the X-Ray sampling API, with scripted faults.

Normal answers come from ``xraysink.receiver.sampling.SamplingServer.answer`` (the same
rules, paging and targets as ``xraysink listen --sampling-rules``); a test queues
faults per path (an HTTP status, a body that is not JSON) and reads every request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from xraysink.receiver.sampling import SamplingServer, parse_sampling_rules


class SamplingAPI(SamplingServer):
    """``SamplingServer`` plus ``faults`` (path -> queued ``(status, body)`` answers,
    served first), ``targets`` (an override of the SamplingTargets answer) and
    ``requests`` (every ``(path, body)`` received, in order)."""

    def __init__(self, rules: list[dict[str, Any]], **kwargs: Any) -> None:
        self.faults: dict[str, list[tuple[int, bytes]]] = {}
        self.targets: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        super().__init__(parse_sampling_rules(rules), **kwargs)
        # Answer through this class's handler, which knows about faults.
        self._http.RequestHandlerClass = _handler(self)

    def calls(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for seen, body in self.requests if seen == path]

    def fault(self, path: str, status: int, body: bytes = b"{}", times: int = 1) -> None:
        with self.lock:
            self.faults.setdefault(path, []).extend([(status, body)] * times)

    def reply(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        with self.lock:
            self.requests.append((path, body))
            queued = self.faults.get(path)
            if queued:
                return queued.pop(0)
        if path == "/SamplingTargets" and self.targets is not None:
            return 200, json.dumps(self.targets(body["SamplingStatisticsDocuments"])).encode()
        answer = self.answer(path, body)
        if answer is None:
            return 404, b"{}"
        return 200, json.dumps(answer).encode()


def _handler(api: SamplingAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, payload = api.reply(self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def sampling_api(rules: list[dict[str, Any]], **kwargs: Any) -> Iterator[SamplingAPI]:
    api = SamplingAPI(rules, **kwargs)
    try:
        yield api
    finally:
        api.close()


def rule(name: str, priority: Any = 1, **fields: Any) -> dict[str, Any]:
    """A ``SamplingRule`` object: sample nothing unless ``fields`` say otherwise."""
    return {
        "RuleName": name,
        "Priority": priority,
        "FixedRate": 0.0,
        "ReservoirSize": 0,
        **fields,
    }


def target(name: str, **fields: Any) -> Mapping[str, Any]:
    return {"RuleName": name, **fields}
