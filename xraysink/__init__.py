"""AWS X-Ray for Python, with OpenTelemetry as the tracing engine.

``configure()`` wires an OpenTelemetry ``TracerProvider`` whose
``XRaySpanProcessor`` sends every span to AWS X-Ray. The names below are the
public API, with the 1.6.2 call sites (``xraysink.asgi.middleware.xray_middleware``,
``xraysink.tasks.xray_task_async``, ``xraysink.context.AsyncContext``,
``xraysink.config.set_xray_log_group``, ``xraysink.util.has_current_trace``),
``xraysink.aws_lambda``, ``xraysink.logs`` and ``xraysink.receiver``. Every other
module is internal and may change in any release.
"""

import importlib as _importlib
import typing as _typing

from xraysink._version import __version__

__all__ = [
    "DatagramEmitter",
    "UDPDaemonEmitter",
    "XRayAPIEmitter",
    "XRayIdGenerator",
    "XRayLocalSampler",
    "XRayPropagator",
    "XRayRemoteSampler",
    "XRaySampler",
    "XRaySpanProcessor",
    "__version__",
    "configure",
    "span_processor",
]

if _typing.TYPE_CHECKING:
    from xraysink.emitters.base import DatagramEmitter
    from xraysink.emitters.udp import UDPDaemonEmitter
    from xraysink.emitters.xray_api import XRayAPIEmitter
    from xraysink.export.processor import XRaySpanProcessor
    from xraysink.pipeline import configure, span_processor
    from xraysink.propagation.ids import XRayIdGenerator
    from xraysink.propagation.propagator import XRayPropagator
    from xraysink.sampling.local import XRayLocalSampler
    from xraysink.sampling.remote import XRayRemoteSampler
    from xraysink.sampling.sampler import XRaySampler

# Imported on first use, so that `import xraysink` (and the 1.6.2 modules reading
# __version__) costs no OpenTelemetry SDK import.
_HOMES = {
    "DatagramEmitter": "xraysink.emitters.base",
    "UDPDaemonEmitter": "xraysink.emitters.udp",
    "XRayAPIEmitter": "xraysink.emitters.xray_api",
    "XRayLocalSampler": "xraysink.sampling.local",
    "XRayRemoteSampler": "xraysink.sampling.remote",
    "XRayIdGenerator": "xraysink.propagation.ids",
    "XRayPropagator": "xraysink.propagation.propagator",
    "XRaySampler": "xraysink.sampling.sampler",
    "XRaySpanProcessor": "xraysink.export.processor",
    "configure": "xraysink.pipeline",
    "span_processor": "xraysink.pipeline",
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'xraysink' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
