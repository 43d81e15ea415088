"""``AsyncContext``: the recorder context of the 1.6.2 call sites.

``xray_recorder.configure(context=AsyncContext(), ...)`` is what makes the
recorder drive OpenTelemetry tracing (naming, sampling, emitter). The context
stores the recorder's own entities in a ``contextvars.ContextVar``, so it needs
no event loop at construction (1.6.2 bound the loop found at import time and
recorded nothing under uvicorn) and follows tasks, ``create_task(context=...)``,
TaskGroups and threads started with ``contextvars.copy_context()``.
"""

from __future__ import annotations

import contextvars
from typing import Any

from aws_xray_sdk.core.context import Context

from xraysink import provider

_entities: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "xraysink_recorder_entities", default=()
)


class _ContextVarLocal:
    """The ``threading.local``-shaped storage ``Context`` expects, on a ContextVar.

    Entity lists are copied on write, so a task never mutates its parent's stack.
    """

    @property
    def entities(self) -> list[Any]:
        return list(_entities.get())

    @entities.setter
    def entities(self, value: list[Any]) -> None:
        _entities.set(tuple(value))


class AsyncContext(Context):  # type: ignore[misc]
    """Recorder context for asyncio (1.6.2 signature).

    ``use_task_factory`` is accepted for compatibility and ignored: context
    variables follow tasks without a task factory. Creating an instance hands
    tracing to the recorder's settings (``xraysink.provider.use_recorder``).
    """

    def __init__(self, *args: Any, use_task_factory: bool = True, **kwargs: Any) -> None:
        kwargs.pop("loop", None)
        super().__init__(*args, **kwargs)
        self._local = _ContextVarLocal()
        provider.use_recorder()

    def clear_trace_entities(self) -> None:
        _entities.set(())

    def put_subsegment(self, subsegment: Any) -> None:
        entity = self.get_trace_entity()
        if not entity:
            return
        entity.add_subsegment(subsegment)
        self._local.entities = [*self._local.entities, subsegment]

    def end_subsegment(self, end_time: float | None = None) -> bool:
        entity = self.get_trace_entity()
        if self._is_subsegment(entity):
            entity.close(end_time)
            self._local.entities = self._local.entities[:-1]
            return True
        return False
