"""``@xray_task_async()``: background coroutines traced as their own segments (1.6.2 API).

X-Ray has no notion of an internally started trace, and its console lists traces
by their HTTP request; so, as in 1.6.2, a task is the handler of a synthetic HTTP
request to ``task://localhost/<task path>``.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import wrapt
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from xraysink import pipeline
from xraysink._types import NAME_ATTRIBUTE, NAMESPACE_ATTRIBUTE
from xraysink._version import __version__
from xraysink.util import has_current_trace

#: URL scheme for the synthetic URLs used by background tasks.
TASK_SCHEME: str = "task"

#: Format string for the synthetic URLs used by background tasks.
TASK_URL_FORMAT: str = TASK_SCHEME + "://localhost/{task_path}"

_tracer = trace.get_tracer("xraysink", __version__)

T = TypeVar("T")


def xray_task_async(*, _url_path: str | None = None) -> Callable[[T], T]:
    """Decorate a coroutine function so that each call runs as a traced task.

    Outside a trace, a call returns a coroutine that starts a new trace: one
    segment named after the service, with http.request url
    ``task://localhost/<path>``, client_ip ``127.0.0.1`` and user_agent
    ``BackgroundTask xraysink/<version>``. Inside a trace, a call opens a
    ``Create Task: <path>`` subsegment (namespace ``local``), schedules the
    coroutine as an ``asyncio`` task (returned) whose segment is its child in the
    same trace, and closes the subsegment. Exceptions are recorded on the task's
    segment (fault + cause) and re-raised.

    ``<path>``: ``_url_path`` without leading ``/``, else the function name with
    leading underscores stripped, prefixed ``Class/`` for methods and classmethods.
    """
    task_path = _url_path.lstrip("/") if _url_path is not None else None

    @wrapt.decorator
    def wrapper(
        wrapped: Callable[..., Awaitable[Any]], instance: Any, args: Any, kwargs: Any
    ) -> Any:
        # Not async on purpose: the trace context is the caller's at call time.
        nonlocal task_path
        if task_path is None:
            task_path = _task_path(wrapped, instance)
        url = TASK_URL_FORMAT.format(task_path=task_path)
        if not has_current_trace() or not _loop_running():
            # No loop to schedule on (e.g. a worker thread that carries the trace):
            # the caller awaits the coroutine, and its segment joins the current trace.
            return _run_in_segment(wrapped(*args, **kwargs), url)
        with _tracer.start_as_current_span(
            f"Create Task: {task_path}",
            attributes={NAMESPACE_ATTRIBUTE: "local", "url.full": url},
        ):
            return asyncio.ensure_future(_run_in_segment(wrapped(*args, **kwargs), url))

    return wrapper  # type: ignore[return-value]


async def _run_in_segment(coro: Awaitable[T], url: str) -> T:
    attributes: dict[str, Any] = {
        "url.full": url,
        "client.address": "127.0.0.1",
        "network.peer.address": "127.0.0.1",
        "user_agent.original": f"BackgroundTask xraysink/{__version__}",
    }
    name = pipeline.recorder_segment_name()
    if name:
        attributes[NAME_ATTRIBUTE] = name
    with _tracer.start_as_current_span(
        "Task " + url,
        kind=SpanKind.SERVER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            return await coro
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _task_path(wrapped: Callable[..., Any], instance: Any) -> str:
    name = wrapped.__name__
    if name.startswith("_") and not name.endswith("_"):
        name = re.sub(r"^_+", "", name, count=1)
    if instance is not None:
        owner = instance if inspect.isclass(instance) else type(instance)
        return f"{owner.__name__}/{name}"
    # Python 3.13 no longer binds a decorator under @classmethod (no instance
    # here): the defining class from the qualified name keeps the 1.6.2 path.
    scopes = wrapped.__qualname__.split(".")
    if len(scopes) >= 2 and scopes[-2] != "<locals>":
        return f"{scopes[-2]}/{name}"
    return name
