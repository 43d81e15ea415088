"""Every environment variable xraysink reads, each a constant with what it means.

OpenTelemetry's own variables (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``, ...) are read by the OpenTelemetry SDK
where it reads them; the ones xraysink reads itself are listed here too. Values are
read when the component is built (``configure()``, an emitter's constructor), never
per span.
"""

from __future__ import annotations

import os
from typing import Final

AWS_XRAY_DAEMON_ADDRESS: Final = "AWS_XRAY_DAEMON_ADDRESS"
"""The X-Ray daemon's address: ``host:port`` (UDP and TCP), or the two-address form
``udp:host:port tcp:host:port`` (X-Ray SDK ``DaemonConfig``). Under
``xraysink.configure`` an explicit ``daemon_address`` wins over it; under the
recorder it wins over the code (the X-Ray SDK's rule). Default ``127.0.0.1:2000``."""

XRAYSINK_TRUST_INCOMING_SAMPLING: Final = "XRAYSINK_TRUST_INCOMING_SAMPLING"
"""``false``/``0``/``no``/``off``: a caller's ``Sampled=1``/``0`` counts as undecided
and the root sampler decides (a caller forcing 100% sampling is a cost attack).
Unset, empty, ``true``/``1``/``yes``/``on``: the caller's decision wins."""

XRAYSINK_FRAMEWORK_SPANS: Final = "XRAYSINK_FRAMEWORK_SPANS"
"""Whether the spans web frameworks make on their own (FastAPI's SERVER span and
``fastapi.*`` operation spans, the OpenTelemetry ASGI instrumentation's ``http
send``/``http receive`` spans) are recorded: ``true``/``false`` as
``XRAYSINK_TRUST_INCOMING_SAMPLING``. Unset: off when the X-Ray SDK recorder set
tracing up (``xray_recorder.configure(context=AsyncContext())``, the 1.6.2 call
sites: traces keep 1.6.2's shape), on under ``xraysink.configure()``, whose
``framework_spans`` argument wins over it. See :mod:`xraysink.framework_spans`."""

OTEL_PROPAGATORS: Final = "OTEL_PROPAGATORS"
"""OpenTelemetry's propagator list; set, those propagators run beside X-Ray's."""

_FALSE = frozenset({"false", "0", "no", "off"})
_TRUE = frozenset({"true", "1", "yes", "on", ""})


def get(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(name) or None


def get_bool(name: str, default: bool) -> bool:
    """A boolean variable: ``true``/``1``/``yes``/``on`` or ``false``/``0``/``no``/
    ``off``, any case; ``default`` when unset or empty. Raises ``ValueError`` naming
    the variable for any other value: a typo must not silently flip a setting."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise ValueError(f"{name} must be true or false, got {os.environ[name]!r}")
