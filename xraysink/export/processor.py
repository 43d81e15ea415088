"""``XRaySpanProcessor``: finished OpenTelemetry spans to X-Ray documents at the daemon.

Data path: ``on_end`` -> translate -> assemble (children that end before
their local root wait and are embedded in its document) -> serialize (split at the
datagram limit) -> emitter. Everything runs synchronously in ``on_end``: a UDP
``sendto`` on a non-blocking socket never waits on the network.

Waiting is bounded: a local root holds at most ``max_waiting_children``
ended descendants' entities, later ones are sent on their own at once; a root open
longer than ``max_wait_seconds`` stops holding anything: its waiting children are
sent on their own when the next local root starts (the age check costs one look at
the oldest open root, no scan and no timer).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind

from xraysink import environment
from xraysink._fork import renew_after_fork
from xraysink._internals import START_FIELDS
from xraysink._types import CONTEXT, IS_REMOTE, SPAN_ID, TRACE_FLAGS, Entity, SpanFields
from xraysink.emitters.base import DaemonUnresolved, DatagramEmitter, Document, Emitter
from xraysink.emitters.udp import SEND_ERRORS, UDPDaemonEmitter
from xraysink.export.assemble import nest
from xraysink.export.lambda_function import as_function_subsegments
from xraysink.export.serialize import encode_documents
from xraysink.translate.span import translate_fields
from xraysink.translate.spandata import read_span
from xraysink.xray_sdk.merge import entities as recorded_entities
from xraysink.xray_sdk.merge import merge_recorded

logger = logging.getLogger(__name__)

_SERVER = SpanKind.SERVER


class _Held(NamedTuple):
    """What an open local root holds back for its document."""

    start: int  # the root's start, ns since the epoch
    ended: list[Entity]  # entities of its descendants that ended already
    open_ids: set[int]  # span ids of its descendants still open


_MESSAGES = {
    "translation": "a span could not be translated and was dropped",
    "serialization": "a document could not be serialized and was dropped",
    "assembly": "ended spans could not be assembled into documents and were dropped",
    "send": "the emitter failed to send a document, which was dropped",
    "daemon_unresolved": "the X-Ray daemon's host name has no address; document dropped",
    "datagram_too_large": "the kernel refused a datagram as too large; document dropped",
    "send_buffer_full": "the socket's send buffer was full; document dropped",
    "socket_closed": "the emitter's socket is closed; document dropped",
    "daemon_unreachable": "the X-Ray daemon is unreachable; document dropped",
}


class XRaySpanProcessor(SpanProcessor):
    """Translate every finished, sampled span and send it to the X-Ray daemon.

    ``emitter``: any object with ``send_entity(entity)`` where
    ``entity.serialize() -> str`` (aws_xray_sdk's ``UDPEmitter`` fits); default: a
    :class:`~xraysink.emitters.udp.UDPDaemonEmitter` for ``AWS_XRAY_DAEMON_ADDRESS`` or
    ``127.0.0.1:2000``. ``indexed_attributes``: span attribute keys recorded as X-Ray
    annotations; ``index_all_attributes``: every attribute as an annotation.
    ``max_waiting_children`` (entities) and ``max_wait_seconds`` bound what a local
    root holds back for embedding (see the module docstring).

    ``stats`` (a ``Counter``) counts ``spans``, ``documents``, ``bytes`` (datagram
    payloads), ``dropped`` (drops of every kind, in all) and ``dropped_<kind>`` per kind of
    drop, and ``unembedded_count`` / ``unembedded_age``: entities sent on their own
    because a bound was reached (delivered, not lost). Each kind of drop is logged
    once (at WARNING), then only counted. An emitter that swallows its own errors
    (aws_xray_sdk's ``UDPEmitter``) cannot be counted. Never raises into the caller.
    """

    def __init__(
        self,
        emitter: Emitter | None = None,
        *,
        indexed_attributes: Iterable[str] = (),
        index_all_attributes: bool = False,
        max_waiting_children: int = 1000,
        max_wait_seconds: float = 30.0,
    ) -> None:
        self.emitter: Emitter = emitter if emitter is not None else UDPDaemonEmitter()
        self.indexed_attributes = frozenset(indexed_attributes)
        self.index_all_attributes = index_all_attributes
        self.max_waiting_children = max_waiting_children
        self._max_wait_ns = int(max_wait_seconds * 1e9)
        #: Overrides ``aws.cloudwatch_logs`` of every segment (``set_xray_log_group``).
        self.log_groups: list[dict[str, str]] | None = None
        #: In AWS Lambda (``AWS_LAMBDA_FUNCTION_NAME``) segments leave as subsegments
        #: of the function's segment, which Lambda records.
        self.lambda_function = environment.in_lambda()
        self.stats: Counter[str] = Counter()
        self._logged: set[str] = set()
        self._lock = threading.Lock()
        # span id -> span id of its local root, for open spans whose root is open.
        self._root_of: dict[int, int] = {}
        # local root span id -> what it holds, oldest root first (dicts keep insertion order).
        self._waiting: dict[int, _Held] = {}
        # Spans open in the parent process at fork: the parent sends them, the child must not.
        self._inherited: set[int] = set()
        renew_after_fork(self)
        # Emitters that send on their own thread count their sends and drops here.
        attach = getattr(self.emitter, "attach", None)
        if attach is not None:
            attach(self._record)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        # One frame per span: the whole body is guarded here, not in a helper.
        try:
            try:
                context, parent, kind, start = START_FIELDS(span)
            except AttributeError:
                context = span.get_span_context()
                parent, kind, start = span.parent, span.kind, span.start_time
            # A span without a context (never made by the SDK) raises here and is
            # counted as dropped.
            span_id = context[SPAN_ID]
            stale: list[Entity] = []
            with self._lock:
                if parent is None or parent[IS_REMOTE] or kind is _SERVER:
                    start = start or 0
                    self._root_of[span_id] = span_id
                    self._waiting[span_id] = _Held(start, [], set())
                    oldest = next(iter(self._waiting))
                    if start - self._waiting[oldest].start > self._max_wait_ns:
                        stale = self._evict_older_than(start - self._max_wait_ns)
                else:
                    root = self._root_of.get(parent[SPAN_ID])
                    held = self._waiting.get(root) if root is not None else None
                    if held is not None:
                        self._root_of[span_id] = root  # type: ignore[assignment]
                        held.open_ids.add(span_id)
            if stale:
                self._send_all(nest([], stale))
        except Exception:
            self._drop("assembly")

    def _evict_older_than(self, cutoff: int) -> list[Entity]:
        """Stop holding back the children of roots started before ``cutoff``; returns
        their waiting entities. Called with the lock held."""
        entities: list[Entity] = []
        while self._waiting:
            root = next(iter(self._waiting))
            start, waiting, open_ids = self._waiting[root]
            if start >= cutoff:
                break
            del self._waiting[root]
            self._root_of.pop(root, None)
            for span_id in open_ids:
                self._root_of.pop(span_id, None)
            entities.extend(waiting)
        self.stats["unembedded_age"] += len(entities)
        return entities

    def on_end(self, span: ReadableSpan) -> None:
        # One frame per span, as in on_start.
        try:
            try:
                fields: SpanFields | None = read_span(span)
            except Exception:
                # A span whose fields cannot be read still ends its place in its trace.
                fields = None
                self._drop("translation")
            context = fields[CONTEXT] if fields is not None else span.context
            span_id: int = context[SPAN_ID]  # type: ignore[index]
            sampled = context[TRACE_FLAGS] & 1  # type: ignore[index]
            recorded = recorded_entities.pop(span_id, None) if recorded_entities else None
            # Translated before the bookkeeping, so that one lock section does all of it.
            entities: list[Entity] | None = None
            if sampled and fields is not None:
                try:
                    entities = translate_fields(
                        fields, self.indexed_attributes, self.index_all_attributes
                    )
                    if recorded is not None:
                        merge_recorded(entities[0], *recorded)
                except Exception:
                    self._drop("translation")
                    entities = None
                else:
                    if self.lambda_function:
                        as_function_subsegments(entities)
                    if self.log_groups is not None:
                        for entity in entities:
                            if "type" not in entity:
                                entity.setdefault("aws", {})["cloudwatch_logs"] = self.log_groups
            with self._lock:
                root = self._root_of.pop(span_id, None)
                trace = self._waiting.pop(span_id, None) if root == span_id else None
                if trace is not None:
                    for open_id in trace.open_ids:
                        # Descendants still open become late children, sent on their own.
                        self._root_of.pop(open_id, None)
                elif root is not None:
                    held = self._waiting.get(root)
                    if held is not None:
                        held.open_ids.discard(span_id)
                        if entities is not None:
                            if len(held.ended) < self.max_waiting_children:
                                held.ended.extend(entities)
                                self.stats["spans"] += 1
                                return
                            self.stats["unembedded_count"] += len(entities)
                if self._inherited and span_id in self._inherited:
                    self._inherited.discard(span_id)
                    return
                if sampled:
                    self.stats["spans"] += 1
            children = trace.ended if trace is not None else None
            if entities is None:
                # A root that could not be translated still lets its children go.
                if children:
                    self._send_all(nest([], children))
                return
            self._send_all(nest(entities, children) if children else entities)
        except Exception:
            self._drop("assembly")

    def _send_all(self, entities: list[Entity]) -> None:
        sent = 0
        size = 0
        emitter = self.emitter
        send = emitter.send if isinstance(emitter, DatagramEmitter) else None
        for entity in entities:
            try:
                payloads = encode_documents(entity)
            except Exception:
                self._drop("serialization")
                continue
            for payload in payloads:
                try:
                    if send is not None:
                        send(payload)
                    else:
                        emitter.send_entity(Document(payload.decode()))
                except DaemonUnresolved:
                    self._drop("daemon_unresolved")
                    continue
                except OSError as error:
                    self._drop(SEND_ERRORS.get(error.errno or 0, "send"))
                    continue
                except Exception:
                    self._drop("send")
                    continue
                sent += 1
                size += len(payload)
        with self._lock:
            self.stats["documents"] += sent
            self.stats["bytes"] += size

    def _drop(self, kind: str) -> None:
        with self._lock:
            self.stats["dropped_" + kind] += 1
            self.stats["dropped"] += 1
            first = kind not in self._logged
            self._logged.add(kind)
        if first:
            logger.warning(
                "xraysink: %s (first of its kind; further ones only counted in "
                "XRaySpanProcessor.stats['dropped_%s'])",
                _MESSAGES.get(kind, kind),
                kind,
                exc_info=True,
            )

    def _record(self, name: str, n: int) -> None:
        with self._lock:
            self.stats[name] += n
            if name.startswith("dropped_"):
                self.stats["dropped"] += n

    def start_entity(self, span_id: int, parent_id: int) -> None:
        """An entity made without a span (an X-Ray SDK subsegment of the recorder
        bridge) opened under span or entity ``parent_id``: its local root holds its
        document, as ``on_start`` does for a child span."""
        with self._lock:
            root = self._root_of.get(parent_id)
            held = self._waiting.get(root) if root is not None else None
            if held is not None:
                self._root_of[span_id] = root  # type: ignore[assignment]
                held.open_ids.add(span_id)

    def end_entity(self, span_id: int, entity: Entity) -> None:
        """The entity opened with ``start_entity`` ended: ``entity`` (a
        ``"type":"subsegment"`` document with ``trace_id`` and ``parent_id``) waits
        for its local root's document, or is sent on its own when the root is gone or
        holds ``max_waiting_children`` already. Never raises."""
        try:
            with self._lock:
                self.stats["spans"] += 1
                root = self._root_of.pop(span_id, None)
                held = self._waiting.get(root) if root is not None else None
                if held is not None:
                    held.open_ids.discard(span_id)
                    if len(held.ended) < self.max_waiting_children:
                        held.ended.append(entity)
                        return
                    self.stats["unembedded_count"] += 1
                elif self._inherited and span_id in self._inherited:
                    # Opened in the parent process before a fork: the parent sends it.
                    self._inherited.discard(span_id)
                    self.stats["spans"] -= 1
                    return
            self._send_all([entity])
        except Exception:
            self._drop("assembly")

    def local_root_id(self, span_id: int) -> int | None:
        """Span id of the local root of the open span ``span_id`` while that root
        is open too; None otherwise (what the recorder bridge's stand-ins need)."""
        root = self._root_of.get(span_id)
        return root if root is not None and root in self._root_of else None

    def shutdown(self) -> None:
        """Send everything still held back (``force_flush``), then shut the emitter
        down; ``TracerProvider`` calls this at interpreter exit (its ``shutdown_on_exit``)."""
        self.force_flush()
        _call_emitter(self.emitter, "shutdown")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send every ended span still waiting for its local root, on its own (the
        open roots keep collecting children that end later), then flush the emitter
        within ``timeout_millis``. Returns the emitter's answer (True without one)."""
        with self._lock:
            waiting = [entity for held in self._waiting.values() for entity in held.ended]
            for held in self._waiting.values():
                held.ended.clear()
        if waiting:
            self._send_all(nest([], waiting))
        return _call_emitter(self.emitter, "force_flush", timeout_millis) is not False

    def _after_fork_in_child(self) -> None:
        # The parent still holds (and will send) what waited at fork time; the child
        # starts empty, with a fresh lock in case another thread held it during fork.
        self._lock = threading.Lock()
        self._inherited = set(self._root_of)
        for _, _, open_ids in self._waiting.values():
            self._inherited.update(open_ids)
        self._root_of = {}
        self._waiting = {}


def _call_emitter(emitter: Emitter, method: str, *args: object) -> object:
    # aws_xray_sdk's UDPEmitter, and any emitter of the bare contract, has neither method.
    call = getattr(emitter, method, None)
    if call is None:
        return None
    try:
        return call(*args)
    except Exception:
        logger.warning("xraysink: the emitter's %s failed", method, exc_info=True)
        return False
