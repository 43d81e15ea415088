"""``XRaySpanProcessor``: finished OpenTelemetry spans to X-Ray documents at the daemon.

Data path (SPEC §2): ``on_end`` -> translate -> assemble (children that end before
their local root wait and are embedded in its document) -> serialize (split at the
datagram limit) -> emitter. Everything runs synchronously in ``on_end``: a UDP
``sendto`` on a non-blocking socket never waits on the network.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind

from xraysink.assemble import nest
from xraysink.emitter import Document, Emitter, UDPDaemonEmitter
from xraysink.recorded import entities as recorded_entities
from xraysink.recorded import merge_recorded
from xraysink.serialize import encode_documents
from xraysink.translate import translate_span

logger = logging.getLogger(__name__)

Entity = dict[str, Any]


class XRaySpanProcessor(SpanProcessor):
    """Translate every finished, sampled span and send it to the X-Ray daemon.

    ``emitter``: any object with ``send_entity(entity)`` where
    ``entity.serialize() -> str`` (aws_xray_sdk's ``UDPEmitter`` fits); default: a
    :class:`~xraysink.emitter.UDPDaemonEmitter` for ``AWS_XRAY_DAEMON_ADDRESS`` or
    ``127.0.0.1:2000``. ``indexed_attributes``: span attribute keys recorded as X-Ray
    annotations; ``index_all_attributes``: every attribute as an annotation.

    ``stats`` counts spans, documents, datagram bytes and every drop by kind; each
    kind of drop is logged once (at WARNING), then only counted.
    """

    def __init__(
        self,
        emitter: Emitter | None = None,
        *,
        indexed_attributes: Iterable[str] = (),
        index_all_attributes: bool = False,
    ) -> None:
        self.emitter: Emitter = emitter if emitter is not None else UDPDaemonEmitter()
        self.indexed_attributes = frozenset(indexed_attributes)
        self.index_all_attributes = index_all_attributes
        #: Overrides ``aws.cloudwatch_logs`` of every segment (``set_xray_log_group``).
        self.log_groups: list[dict[str, str]] | None = None
        self.stats: Counter[str] = Counter()
        self._logged: set[str] = set()
        self._lock = threading.Lock()
        # span id -> span id of its local root, for spans whose root is open.
        self._root_of: dict[int, int] = {}
        # local root span id -> entities of its descendants that already ended.
        self._waiting: dict[int, list[Entity]] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        span_id = span.context.span_id
        parent = span.parent
        with self._lock:
            if parent is None or parent.is_remote or span.kind is SpanKind.SERVER:
                self._root_of[span_id] = span_id
                self._waiting[span_id] = []
            else:
                root = self._root_of.get(parent.span_id)
                if root is not None:
                    self._root_of[span_id] = root

    def on_end(self, span: ReadableSpan) -> None:
        span_id = span.context.span_id
        with self._lock:
            root = self._root_of.pop(span_id, None)
            children = self._waiting.pop(span_id, None) if root == span_id else None
            if span.context.trace_flags.sampled:
                self.stats["spans"] += 1
        recorded = recorded_entities.pop(span_id, None) if recorded_entities else None
        if not span.context.trace_flags.sampled:
            return
        try:
            entities = translate_span(span, self.indexed_attributes, self.index_all_attributes)
            if recorded is not None:
                merge_recorded(entities[0], *recorded)
        except Exception:
            self._drop("translation", "a span could not be translated and was dropped")
            return
        if self.log_groups is not None:
            for entity in entities:
                if "type" not in entity:
                    entity.setdefault("aws", {})["cloudwatch_logs"] = self.log_groups
        if root is not None and root != span_id:
            with self._lock:
                waiting = self._waiting.get(root)
                if waiting is not None:
                    waiting.extend(entities)
                    return
        documents = nest(entities, children) if children else entities
        for document in documents:
            self._send(document)

    def _send(self, entity: Entity) -> None:
        try:
            payloads = encode_documents(entity)
        except Exception:
            self._drop("serialization", "a document could not be serialized and was dropped")
            return
        emitter = self.emitter
        for payload in payloads:
            try:
                if isinstance(emitter, UDPDaemonEmitter):
                    emitter.send(payload)
                else:
                    emitter.send_entity(Document(payload.decode()))
            except Exception:
                self._drop("send", "the emitter failed to send a document, which was dropped")
                continue
            with self._lock:
                self.stats["documents"] += 1
                self.stats["bytes"] += len(payload)

    def _drop(self, kind: str, message: str) -> None:
        with self._lock:
            self.stats["dropped_" + kind] += 1
            first = kind not in self._logged
            self._logged.add(kind)
        if first:
            logger.warning(
                "xraysink: %s (first of its kind; further ones only counted in stats)",
                message,
                exc_info=True,
            )

    def local_root_id(self, span_id: int) -> int | None:
        """Span id of the local root of the open span ``span_id`` while that root
        is open too; None otherwise (what the recorder bridge's stand-ins need)."""
        root = self._root_of.get(span_id)
        return root if root is not None and root in self._root_of else None

    def shutdown(self) -> None:
        self.force_flush()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send every ended span still waiting for its local root, on its own."""
        with self._lock:
            waiting = [entity for entities in self._waiting.values() for entity in entities]
            for entities in self._waiting.values():
                entities.clear()
        for entity in waiting:
            self._send(entity)
        return True
