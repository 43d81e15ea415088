"""Stand-ins for the X-Ray API on 127.0.0.1: moto in server mode, and a scripted
``PutTraceSegments`` endpoint that answers throttling, 5xx, slow and partial replies."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.server import ThreadedMotoServer


@contextmanager
def moto_xray() -> Iterator[str]:
    """moto's X-Ray API on 127.0.0.1 and a free port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass
class Answer:
    """One scripted reply: ``status`` and ``error`` (an X-Ray error code, sent as
    ``x-amzn-ErrorType`` and ``__type``); ``delay`` seconds before answering (the
    call then counts as lost, as a request the service never completed);
    ``unprocessed``: (how many of the call's documents, error code) left unprocessed."""

    status: int = 200
    error: str = ""
    delay: float = 0.0
    unprocessed: tuple[int, str] | None = None


@dataclass
class FakeXRay:
    """``PutTraceSegments`` on 127.0.0.1: answers ``script`` in order, then 200 with
    nothing unprocessed. Records the documents it accepted and each call's size."""

    script: deque[Answer] = field(default_factory=deque)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, documents: list[str]) -> tuple[int, dict[str, Any], str]:
        with self.lock:
            self.calls.append(len(documents))
            answer = self.script.popleft() if self.script else Answer()
        if answer.delay:
            time.sleep(answer.delay)
            return 200, {"UnprocessedTraceSegments": []}, ""
        if answer.status != 200:
            return answer.status, {"__type": answer.error, "message": "scripted"}, answer.error
        parsed = [json.loads(document) for document in documents]
        left: list[dict[str, Any]] = []
        if answer.unprocessed is not None:
            count, code = answer.unprocessed
            left = [{"Id": doc["id"], "ErrorCode": code, "Message": "x"} for doc in parsed[:count]]
            parsed = parsed[count:]
        with self.lock:
            self.accepted.extend(parsed)
        return 200, {"UnprocessedTraceSegments": left}, ""

    def ids(self) -> list[str]:
        with self.lock:
            return [document["id"] for document in self.accepted]


@contextmanager
def fake_xray(*answers: Answer) -> Iterator[tuple[str, FakeXRay]]:
    """A started :class:`FakeXRay` with ``answers`` scripted; yields (endpoint URL, it)."""
    fake = FakeXRay(deque(answers))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK, 40 ms a call.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            documents = json.loads(body)["TraceSegmentDocuments"]
            status, reply, error = fake.answer(documents)
            data = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (a slow answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
