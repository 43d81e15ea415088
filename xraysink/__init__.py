"""AWS X-Ray for asyncio Python, with OpenTelemetry as the tracing engine.

``configure()`` wires an OpenTelemetry ``TracerProvider`` whose
``XRaySpanProcessor`` sends every span to the X-Ray daemon. The 1.6.2 call sites
(``xraysink.asgi.middleware.xray_middleware``, ``xraysink.tasks.xray_task_async``,
``xraysink.context.AsyncContext``, ``xraysink.config.set_xray_log_group``) work
unchanged on top of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__: str = "2.0.0a1"

__all__ = ["XRaySpanProcessor", "__version__", "configure"]

if TYPE_CHECKING:
    from xraysink.processor import XRaySpanProcessor
    from xraysink.provider import configure


def __getattr__(name: str) -> Any:
    # Lazy, so that `xraysink.__version__` (read by the compat modules) costs no import.
    if name == "XRaySpanProcessor":
        from xraysink.processor import XRaySpanProcessor

        return XRaySpanProcessor
    if name == "configure":
        from xraysink.provider import configure

        return configure
    raise AttributeError(f"module 'xraysink' has no attribute {name!r}")
