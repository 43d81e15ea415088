"""Which build of xraysink runs: the per-span hot path compiled with mypyc, or pure Python.

``XRAYSINK_COMPILE=1 pip install .`` compiles the modules of ``HOT_PATH`` (``setup.py``
reads the list from this file); every other module, and every module of a default
build, runs as pure Python. A compiled module comes from the same source as its
``.py`` file and behaves the same; it costs fewer instructions per span
(docs/performance.md). Standard library only: ``setup.py`` runs this file before
xraysink's dependencies are installed.
"""

from __future__ import annotations

import importlib
from importlib.machinery import EXTENSION_SUFFIXES

#: The modules that run for every span: translation, assembly and serialization
#: (SPEC §2's data path between the span processor and the emitter). The span
#: processor stays interpreted: compiled (a subclass of the SDK's interpreted
#: ``SpanProcessor``), it made the interpreter crash in a garbage collection during
#: the property tests, and it would save about 1% of a request's instructions.
HOT_PATH = (
    "xraysink.assemble",
    "xraysink.serialize",
    "xraysink.translate",
    "xraysink.translate.attributes",
    "xraysink.translate.aws",
    "xraysink.translate.cause",
    "xraysink.translate.clean",
    "xraysink.translate.credentials",
    "xraysink.translate.http",
    "xraysink.translate.resource",
    "xraysink.translate.shape",
    "xraysink.translate.span",
    "xraysink.translate.spandata",
    "xraysink.translate.sql",
)


def compiled_modules() -> list[str]:
    """The names of the ``HOT_PATH`` modules loaded from compiled extension modules
    (imports them)."""
    return [
        name
        for name in HOT_PATH
        if (getattr(importlib.import_module(name), "__file__", None) or "").endswith(
            tuple(EXTENSION_SUFFIXES)
        )
    ]


def describe() -> str:
    """``"compiled (mypyc)"``, ``"pure Python"``, or ``"partly compiled: <names>"``
    (a broken build: the hot path is compiled as a whole or not at all)."""
    compiled = compiled_modules()
    if not compiled:
        return "pure Python"
    if len(compiled) == len(HOT_PATH):
        return "compiled (mypyc)"
    return "partly compiled: " + ", ".join(compiled)
