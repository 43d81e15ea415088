"""Sending documents to the X-Ray API (``PutTraceSegments``) without a daemon.

The span processor calls ``send(document)``, which only appends the document to a
bounded in-memory queue. A background thread sends the queue in calls of at most 50
documents (the API's limit, X-Ray API reference ``PutTraceSegments``), at least once a
second while anything waits, and at once when a full call's worth is queued.

botocore does the AWS parts: SigV4 signing, the credential chain, and the endpoint,
including its own ``AWS_ENDPOINT_URL_XRAY`` / ``AWS_ENDPOINT_URL`` overrides. The region
is the ``region_name`` argument, else ``AWS_REGION`` (what Lambda and ECS set), else
botocore's (``AWS_DEFAULT_REGION``, the profile's config file).

Retries are this module's, not botocore's (its client is built with one attempt): the
sender needs to count every retry by kind, and its waits must end early when a flush
deadline passes, which botocore's in-call sleeps cannot do. The conditions follow
botocore's ``standard`` retry mode: throttling (HTTP 429 or a throttling error code), HTTP
5xx and connection errors or timeouts are retried with exponential backoff and full
jitter, ``max_attempts`` calls in all; an entry of ``UnprocessedTraceSegments`` with a
retryable error code is sent again under the same bound.

The emitter's own calls run with OpenTelemetry's suppress-instrumentation context keys
set, so ``opentelemetry-instrumentation-botocore`` (and the urllib3/requests
instrumentations) record nothing for them. aws_xray_sdk's botocore patch leaves
``PutTraceSegments`` untraced itself, and xraysink's recorder bridge has no current
entity under those keys, so its header injection logs no missing-context error.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import random
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import botocore.session
import orjson
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from opentelemetry import context as otel_context

from xraysink import environment
from xraysink._fork import renew_after_fork
from xraysink._internals import untraced_context
from xraysink.emitters.base import DatagramEmitter

logger = logging.getLogger(__name__)

#: Documents per ``PutTraceSegments`` call: the API's limit.
MAX_DOCUMENTS_PER_CALL = 50
#: Default bound of the queue in documents (about 3 s at the API's 2,600 per second).
DEFAULT_MAX_QUEUE_DOCUMENTS = 8192
#: Default bound of the queue in bytes of document JSON.
DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024
#: The first retry waits up to this many seconds; each further one doubles it.
BACKOFF_BASE_SECONDS = 0.2
#: No retry waits longer than this many seconds.
BACKOFF_MAX_SECONDS = 5.0
#: Region variable read before botocore's own chain (botocore reads only AWS_DEFAULT_REGION).
REGION_ENV = environment.AWS_REGION

# Error codes of a throttled call (botocore's standard retry mode lists the same family).
_THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
# Error codes worth another try besides throttling: the service's transient failures.
_TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
# Credentials that are expired, unknown or unreadable: a new client may fix them.
_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "MissingAuthenticationToken",
    }
)
_CREDENTIAL_ERRORS = (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError)
_MESSAGES = {
    "queue_full": "the X-Ray API emitter's queue is full",
    "credentials": "AWS credentials are missing or expired; sending resumes once they work",
    "connection": "the X-Ray API endpoint could not be reached",
    "timeout": "the X-Ray API did not answer in time",
    "shutdown": "the X-Ray API emitter was shut down before these documents were sent",
}


class XRayAPIEmitter(DatagramEmitter):
    """Send documents with ``PutTraceSegments``, batched on a background thread.

    ``send(document)`` takes one JSON document (bytes, no daemon protocol header, at most
    64 KiB) and never waits on the network: past ``max_queue_documents`` documents or
    ``max_queue_bytes`` bytes waiting, a document is dropped and counted. The sender
    calls the API at least every ``interval_seconds`` while documents wait, with at
    most ``MAX_DOCUMENTS_PER_CALL`` per call, ``max_attempts`` calls per document
    (see the module docstring for what is retried), each bounded by
    ``connect_timeout`` and ``read_timeout`` seconds.

    Counters (``stats``, and the span processor's through ``attach``): ``api_documents``
    (accepted by the API), ``api_calls`` (HTTP calls made, retries included),
    ``api_retried_<kind>`` (documents sent again: a throttling or service error code,
    ``connection``, ``timeout``) and ``dropped_api_<kind>`` (documents lost:
    ``queue_full``, ``credentials``, ``shutdown``, ``connection``, ``timeout``, or the
    API's error code). Each kind of drop is logged once at WARNING.

    Missing or expired credentials drop the call's documents (``credentials``); the
    next call, a second later, uses a new botocore client, so sending resumes once
    credentials work. A forked child starts with an empty queue, its own client and
    thread; the parent keeps sending what it queued. At interpreter exit, and in
    ``shutdown()``, the queue is flushed for up to ``shutdown_timeout_millis``.

    Raises ``ValueError`` for a non-positive bound or when no region is configured.
    """

    def __init__(
        self,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        max_queue_documents: int = DEFAULT_MAX_QUEUE_DOCUMENTS,
        max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES,
        interval_seconds: float = 1.0,
        max_attempts: int = 4,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        shutdown_timeout_millis: int = 10_000,
    ) -> None:
        for name, value in (
            ("max_queue_documents", max_queue_documents),
            ("max_queue_bytes", max_queue_bytes),
            ("interval_seconds", interval_seconds),
            ("max_attempts", max_attempts),
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        region = (
            region_name
            or environment.get(REGION_ENV)
            or botocore.session.Session().get_config_variable("region")
        )
        if not region:
            raise ValueError(
                "the X-Ray API emitter needs an AWS region: pass region_name, or set "
                "AWS_REGION or AWS_DEFAULT_REGION, or a region in the AWS config file"
            )
        self.region_name: str = region
        self.endpoint_url = endpoint_url
        self.max_queue_documents = max_queue_documents
        self.max_queue_bytes = max_queue_bytes
        self.interval_seconds = interval_seconds
        self.max_attempts = max_attempts
        self.shutdown_timeout_millis = shutdown_timeout_millis
        self._config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=1,
        )
        self.stats: Counter[str] = Counter()
        self._record: Callable[[str, int], None] | None = None
        self._fresh_state()
        _live.add(self)
        renew_after_fork(self)

    def _fresh_state(self) -> None:
        self._lock = threading.Lock()
        # Signalled (with the lock) whenever documents leave the queue for good.
        self._progress = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._queue: deque[bytes] = deque()
        self._bytes = 0
        self._enqueued = 0
        self._finished = 0
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._closed = False
        # Set once a shutdown's deadline passed: the sender stops waiting to retry.
        self._abandon = threading.Event()

    def attach(self, record: Callable[[str, int], None]) -> None:
        """Also count into ``record(name, n)`` (the span processor's ``stats``)."""
        self._record = record

    def send(self, document: bytes) -> None:
        size = len(document)
        with self._lock:
            if (
                self._closed
                or len(self._queue) >= self.max_queue_documents
                or self._bytes + size > self.max_queue_bytes
            ):
                kind = "shutdown" if self._closed else "queue_full"
                thread: threading.Thread | None = None
            else:
                self._queue.append(document)
                self._bytes += size
                self._enqueued += 1
                kind = ""
                thread = self._thread
                if thread is None:
                    thread = self._thread = threading.Thread(
                        target=self._run, name="xraysink-xray-api", daemon=True
                    )
                    # At interpreter shutdown no thread starts: force_flush sends instead.
                    with contextlib.suppress(RuntimeError):
                        thread.start()
                elif len(self._queue) == MAX_DOCUMENTS_PER_CALL:
                    self._wake.set()
        if kind:
            self._drop(kind, 1)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send every document queued before this call; True once each was accepted or
        dropped (and counted), False if ``timeout_millis`` passed first."""
        deadline = time.monotonic() + timeout_millis / 1000
        with self._lock:
            target = self._enqueued
            if self._finished >= target:
                return True
            sender = self._thread
        if sender is None or not sender.is_alive():
            # No sender thread (one cannot start at interpreter shutdown): send from here.
            token = otel_context.attach(untraced_context())
            try:
                self._drain()
            finally:
                otel_context.detach(token)
            return True
        self._wake.set()
        with self._lock:
            while self._finished < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._progress.wait(remaining)
        return True

    def shutdown(self, timeout_millis: int | None = None) -> None:
        """Flush (see ``force_flush``) for up to ``timeout_millis`` (default
        ``shutdown_timeout_millis``), then stop the sender; what is still queued is
        dropped as ``shutdown``. Later sends are dropped too."""
        if timeout_millis is None:
            timeout_millis = self.shutdown_timeout_millis
        deadline = time.monotonic() + timeout_millis / 1000
        self.force_flush(timeout_millis)
        with self._lock:
            self._closed = True
            thread = self._thread
            left = list(self._queue)
            self._queue.clear()
            self._bytes = 0
            self._finished += len(left)
        self._abandon.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        if left:
            self._drop("shutdown", len(left))

    # The sender thread.

    def _run(self) -> None:
        otel_context.attach(untraced_context())
        while True:
            self._wake.wait(self.interval_seconds)
            self._wake.clear()
            try:
                self._drain()
            except Exception:
                # Whatever failed, the thread must keep running for later documents.
                logger.exception("xraysink: the X-Ray API emitter's sender failed")
            with self._lock:
                if self._closed and not self._queue:
                    return

    def _drain(self) -> None:
        """Send everything queued; stop early after a credentials failure (the next
        tick tries a new client)."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                count = min(MAX_DOCUMENTS_PER_CALL, len(self._queue))
                batch = [self._queue.popleft() for _ in range(count)]
                self._bytes -= sum(map(len, batch))
            try:
                carry_on = self._deliver([document.decode() for document in batch])
            finally:
                with self._lock:
                    self._finished += count
                    self._progress.notify_all()
            if not carry_on:
                return

    def _deliver(self, documents: list[str]) -> bool:
        """Send one call's documents, retrying within the bound; False after a
        credentials failure."""
        attempt = 1
        while documents:
            try:
                client = self._client
                if client is None:
                    client = self._client = self._new_client()
                self._count("api_calls", 1)
                response = client.put_trace_segments(TraceSegmentDocuments=documents)
            except Exception as error:
                kind, retryable = _classify(error)
                if kind == "credentials":
                    self._client = None
                    self._drop(kind, len(documents))
                    return False
                if retryable and attempt < self.max_attempts and self._backoff(attempt):
                    self._count("api_retried_" + kind, len(documents))
                    attempt += 1
                    continue
                self._drop(kind, len(documents))
                return True
            unprocessed = response.get("UnprocessedTraceSegments") or []
            self._count("api_documents", len(documents) - len(unprocessed))
            documents = self._unprocessed(documents, unprocessed, attempt)
            if documents:
                if not self._backoff(attempt):
                    self._drop("shutdown", len(documents))
                    return True
                attempt += 1
        return True

    def _unprocessed(
        self, documents: list[str], unprocessed: list[dict[str, Any]], attempt: int
    ) -> list[str]:
        """The documents of ``unprocessed`` to send again; the rest are counted as
        dropped under their error code."""
        if not unprocessed:
            return []
        by_id = {_document_id(document): document for document in documents}
        again: list[str] = []
        for entry in unprocessed:
            code = str(entry.get("ErrorCode") or "unprocessed")
            document = by_id.get(entry.get("Id"))
            retryable = code in _THROTTLED_CODES or code in _TRANSIENT_CODES
            if document is not None and retryable and attempt < self.max_attempts:
                again.append(document)
                self._count("api_retried_" + code, 1)
            else:
                self._drop(code, 1)
        return again

    def _backoff(self, attempt: int) -> bool:
        """Wait before retry ``attempt`` (exponential, full jitter); False when the
        emitter is being abandoned instead."""
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        return not self._abandon.wait(random.uniform(0, ceiling))

    def _new_client(self) -> Any:
        # A new session re-reads the credential chain: botocore keeps what it found.
        return botocore.session.Session().create_client(
            "xray",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            config=self._config,
        )

    def _count(self, name: str, n: int) -> bool:
        """Add ``n`` to counter ``name``; True the first time ``name`` is counted."""
        with self._lock:
            first = name not in self.stats
            self.stats[name] += n
        record = self._record
        if record is not None:
            record(name, n)
        return first

    def _drop(self, kind: str, n: int) -> None:
        name = "dropped_api_" + kind
        if self._count(name, n):
            logger.warning(
                "xraysink: %d document(s) dropped: %s (first of its kind; further ones only "
                "counted as %s)",
                n,
                _MESSAGES.get(kind, f"the X-Ray API answered {kind}"),
                name,
            )

    def _after_fork_in_child(self) -> None:
        # What the parent queued is the parent's to send; the child starts empty, with
        # its own lock, client and (on its first send) thread.
        self._fresh_state()


def _classify(error: Exception) -> tuple[str, bool]:
    """The counter kind of a failed call and whether it is worth another try."""
    if isinstance(error, _CREDENTIAL_ERRORS):
        return "credentials", False
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "unknown")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in _CREDENTIAL_CODES:
            return "credentials", False
        retryable = (
            status == 429 or status >= 500 or code in _THROTTLED_CODES or code in _TRANSIENT_CODES
        )
        return code, retryable
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)):
        return "timeout", True
    if isinstance(error, (BotocoreConnectionError, HTTPClientError)):
        return "connection", True
    return "send", False


def _document_id(document: str) -> Any:
    # Parsed only for calls with unprocessed entries, which name documents by "id".
    try:
        return orjson.loads(document).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None


_live: weakref.WeakSet[XRayAPIEmitter] = weakref.WeakSet()


def _flush_all_at_exit() -> None:
    for emitter in list(_live):
        if emitter._thread is not None:
            emitter.force_flush(emitter.shutdown_timeout_millis)


atexit.register(_flush_all_at_exit)
