"""PEP 517 build backend: setuptools' own, plus what a compiled build needs.

With ``XRAYSINK_COMPILE=1``, ``setup.py`` compiles the hot path with mypyc, which
type-checks the modules it compiles against the packages they import: such a build
needs mypy, the OpenTelemetry API and SDK, and orjson in the build environment. A
pure-Python build needs nothing beyond setuptools (pyproject.toml's
``build-system.requires``).
"""

from __future__ import annotations

import os
from typing import Any

from setuptools.build_meta import *  # noqa: F403  (every other hook is setuptools' own)

COMPILE_REQUIRES = [
    "mypy>=1.10",
    "opentelemetry-api>=1.30",
    "opentelemetry-sdk>=1.30",
    "orjson>=3.9",
]


def _requires() -> list[str]:
    # setuptools' own versions of these hooks run setup.py, which imports mypyc for a
    # compiled build before mypyc is installed; they add nothing else (no setup_requires).
    return list(COMPILE_REQUIRES) if os.environ.get("XRAYSINK_COMPILE") == "1" else []


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return _requires()


def get_requires_for_build_editable(config_settings: dict[str, Any] | None = None) -> list[str]:
    return _requires()
