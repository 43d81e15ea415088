"""What the viewer holds: the received documents per trace, bounded, and rejected datagrams.

The listener hands over each batch of ``Received`` records (``add``); HTTP threads and the
HTML writer read views of them. A trace's views are built on first read after it changed
and kept until it changes again, so adding a record only appends it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from xraysink.receiver.record import Received
from xraysink.receiver.tree import Trace, build_traces
from xraysink.viewer.render import rejected, service_map, summarize, waterfall

MAX_TRACES = 1000
"""Traces kept by default; past it the least recently extended trace is evicted."""

MAX_DOCUMENTS_PER_TRACE = 1000
"""Documents kept per trace; later ones for a full trace are dropped and counted."""

MAX_REJECTED = 100
"""Rejected datagrams kept; older ones are dropped and counted."""


@dataclass
class _Slot:
    documents: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    built_version: int = -1
    trace: Trace | None = None
    summary: dict[str, Any] | None = None
    waterfall: dict[str, Any] | None = None


class TraceStore:
    """Received datagrams for the viewer, at most ``max_traces`` traces.

    Valid documents are grouped per ``trace_id``; a trace that gets a document moves to
    the back of the eviction order, and once more than ``max_traces`` are held the front
    one is evicted (counted in ``stats``). Datagrams X-Ray would reject are kept apart,
    the last ``max_rejected`` of them, as X-Ray leaves them out of traces. Thread-safe.
    Raises ``ValueError`` for bounds below 1.
    """

    def __init__(self, max_traces: int = MAX_TRACES, max_rejected: int = MAX_REJECTED) -> None:
        if max_traces < 1:
            raise ValueError(f"the viewer must keep at least 1 trace, got {max_traces}")
        if max_rejected < 1:
            raise ValueError(f"max_rejected must be >= 1, got {max_rejected}")
        self._max_traces = max_traces
        self._lock = threading.Lock()
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._rejected: deque[Received] = deque(maxlen=max_rejected)
        self._version = 0
        self._map: tuple[int, dict[str, Any]] | None = None
        self._counts = dict.fromkeys(
            (
                "received",
                "documents",
                "rejected",
                "rejected_dropped",
                "evicted_traces",
                "evicted_documents",
                "dropped_documents",
            ),
            0,
        )

    @property
    def version(self) -> int:
        """Grows by one with every batch that changed what is held."""
        with self._lock:
            return self._version

    def add(self, records: Iterable[Received]) -> None:
        """Keep ``records`` (datagram outcomes in arrival order), evicting past the bound."""
        with self._lock:
            changed = False
            for record in records:
                changed = True
                self._counts["received"] += 1
                if not record.valid:
                    self._keep_rejected(record)
                    continue
                assert record.document is not None
                trace_id = str(record.document["trace_id"])
                slot = self._slots.get(trace_id)
                if slot is None:
                    slot = self._slots[trace_id] = _Slot()
                elif len(slot.documents) >= MAX_DOCUMENTS_PER_TRACE:
                    self._counts["dropped_documents"] += 1
                    continue
                slot.documents.append(record.document)
                slot.version += 1
                self._counts["documents"] += 1
                self._slots.move_to_end(trace_id)
                while len(self._slots) > self._max_traces:
                    _, evicted = self._slots.popitem(last=False)
                    self._counts["evicted_traces"] += 1
                    self._counts["evicted_documents"] += len(evicted.documents)
                    self._counts["documents"] -= len(evicted.documents)
            if changed:
                self._version += 1

    def _keep_rejected(self, record: Received) -> None:
        if len(self._rejected) == self._rejected.maxlen:
            self._counts["rejected_dropped"] += 1
        self._rejected.append(record)
        self._counts["rejected"] += 1

    def stats(self) -> dict[str, Any]:
        """Counters: ``version``, ``traces`` held and ``max_traces``, datagrams ``received``,
        ``documents`` held, ``rejected`` (all seen) and ``rejected_dropped`` (no longer
        held), ``evicted_traces``/``evicted_documents``, ``dropped_documents`` (over the
        per-trace bound), and ``generated_at`` (epoch s)."""
        with self._lock:
            return {
                "version": self._version,
                "traces": len(self._slots),
                "max_traces": self._max_traces,
                **self._counts,
                "generated_at": time.time(),
            }

    def _built(self, trace_id: str) -> _Slot | None:
        """The slot of ``trace_id`` with its views current, or ``None``."""
        with self._lock:
            slot = self._slots.get(trace_id)
            if slot is None:
                return None
            if slot.built_version == slot.version:
                return slot
            documents, version = list(slot.documents), slot.version
        # Built outside the lock: documents are never changed once received.
        trace = build_traces(documents)[trace_id]
        summary = summarize(trace)
        shown = waterfall(trace)
        with self._lock:
            if slot.version == version:
                slot.trace, slot.summary, slot.waterfall = trace, summary, shown
                slot.built_version = version
        return _Slot(documents, version, version, trace, summary, shown)

    def summaries(self) -> list[dict[str, Any]]:
        """``render.summarize`` of every trace held, latest start first."""
        with self._lock:
            trace_ids = list(self._slots)
        built = [slot for trace_id in trace_ids if (slot := self._built(trace_id)) is not None]
        rows = [slot.summary for slot in built if slot.summary is not None]
        rows.sort(key=lambda row: row["start"] if row["start"] is not None else 0.0, reverse=True)
        return rows

    def waterfall(self, trace_id: str) -> dict[str, Any] | None:
        """``render.waterfall`` of ``trace_id`` plus its ``version``, or ``None`` when
        the trace is not held."""
        slot = self._built(trace_id)
        if slot is None or slot.waterfall is None:
            return None
        return {**slot.waterfall, "version": slot.version}

    def service_map(self) -> dict[str, Any]:
        """``render.service_map`` of every trace held."""
        with self._lock:
            version = self._version
            if self._map is not None and self._map[0] == version:
                return self._map[1]
            trace_ids = list(self._slots)
        traces = [
            slot.trace
            for trace_id in trace_ids
            if (slot := self._built(trace_id)) is not None and slot.trace is not None
        ]
        built = service_map(traces)
        with self._lock:
            self._map = (version, built)
        return built

    def rejected(self) -> list[dict[str, Any]]:
        """``render.rejected`` of every rejected datagram held, latest first."""
        with self._lock:
            records = list(self._rejected)
        return [rejected(record) for record in reversed(records)]

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows, for a self-contained file: ``stats``, ``traces``
        (summaries), ``details`` (every waterfall), ``map`` and ``rejected``."""
        traces = self.summaries()
        details = [w for row in traces if (w := self.waterfall(row["trace_id"])) is not None]
        return {
            "stats": self.stats(),
            "traces": traces,
            "details": details,
            "map": self.service_map(),
            "rejected": self.rejected(),
        }
