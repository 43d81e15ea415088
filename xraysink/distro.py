"""Zero-code set-up: ``opentelemetry-instrument`` traces an app to X-Ray.

``OTEL_PYTHON_DISTRO=xraysink OTEL_PYTHON_CONFIGURATOR=xraysink opentelemetry-instrument
python app.py``; either variable may be left out when xraysink's is the only distro or
configurator installed (``opentelemetry-instrument`` takes the first it finds). The
distro sets the environment's defaults, the configurator calls ``xraysink.configure()``
with what the environment says (``xraysink.environment``), then every installed
``opentelemetry-instrumentation-*`` package instruments its library. A malformed
variable is reported on stderr by name and its default used; one without a safe default
(``AWS_XRAY_DAEMON_ADDRESS``) leaves the app running untraced.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

# The module is marked "# type: ignore" upstream: mypy sees none of its names.
from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

from xraysink import __version__, detectors, environment
from xraysink.environment import flag, otel_flag

_logger = logging.getLogger(__name__)
T = TypeVar("T")


class XRaySinkDistro(BaseDistro):  # type: ignore[misc]
    """``opentelemetry_distro`` entry point: ``OTEL_PROPAGATORS`` defaults to
    ``xray,tracecontext,baggage`` and ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS`` to the AWS
    detectors this environment shows (``xraysink.detectors.present``)."""

    def _configure(self, **kwargs: Any) -> None:
        os.environ.setdefault(environment.OTEL_PROPAGATORS, environment.DEFAULT_PROPAGATORS)
        found = detectors.present()
        if found:
            os.environ.setdefault(environment.OTEL_EXPERIMENTAL_RESOURCE_DETECTORS, ",".join(found))


class XRaySinkConfigurator:
    """``opentelemetry_configurator`` entry point: ``xraysink.configure()`` from the
    environment; never raises (a failure would leave the instrumentations unloaded)."""

    def configure(self, **kwargs: Any) -> None:
        if _read(lambda: otel_flag(environment.OTEL_SDK_DISABLED), False, "tracing stays on"):
            return
        if _read(lambda: flag(environment.AWS_XRAY_SDK_ENABLED), None, "tracing stays on") is False:
            return
        _read(environment.check_resource_attributes, None, "skipped")
        _read(environment.check_resource_detectors, None, "skipped")
        exporter = _read(environment.exporter, "udp", "documents go over UDP")
        try:
            address = environment.daemon_address()
        except ValueError as exc:
            _logger.warning("xraysink: %s; tracing is off", exc)
            return
        from opentelemetry.sdk.resources import Resource

        from xraysink.pipeline import configure
        from xraysink.sampling.sampler import trust_from_env

        identity = {"telemetry.distro.name": "xraysink", "telemetry.distro.version": __version__}
        if kwargs.get("auto_instrumentation_version"):
            identity["telemetry.auto.version"] = str(kwargs["auto_instrumentation_version"])
        try:
            configure(
                daemon_address=address,
                exporter=exporter,
                # No sampler: configure() reads OTEL_TRACES_SAMPLER itself, with the same
                # fallback for a malformed value.
                trust_incoming_sampling=_read(trust_from_env, False, "caller decisions ignored"),
                resource=Resource(identity),
            )
        except Exception:
            _logger.exception("xraysink: configuration failed; tracing is off")


def _read(reader: Callable[[], T], fallback: T, consequence: str) -> T:
    try:
        return reader()
    except ValueError as exc:
        _logger.warning("xraysink: %s; %s", exc, consequence)
        return fallback
