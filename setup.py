"""setuptools build script: the project is described in pyproject.toml; this adds the
optional compiled build.

``XRAYSINK_COMPILE=1`` compiles ``xraysink.build.HOT_PATH`` with mypyc (and
``build_backend.py`` puts what mypyc needs into the build environment); unset or
``0``, the package is pure Python. Any other value is an error, so that a typo
does not silently build the slower package.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from setuptools import setup
from setuptools.extension import Extension


def _source(module: str) -> str:
    path = Path(*module.split("."))
    return str(path / "__init__.py") if path.is_dir() else str(path.with_suffix(".py"))


def _compiled() -> list[Extension]:
    choice = os.environ.get("XRAYSINK_COMPILE", "")
    if choice not in ("", "0", "1"):
        raise ValueError(f"XRAYSINK_COMPILE must be 1 or 0, got {choice!r}")
    if choice != "1":
        return []
    from mypyc.build import mypycify

    hot_path = runpy.run_path(str(Path("xraysink", "build.py")))["HOT_PATH"]
    # The modules outside the hot path are read for their types only: a type error in
    # one of them (an optional package missing from the build environment) is no
    # reason not to compile the hot path.
    return mypycify(
        ["--follow-imports=silent", *(_source(module) for module in hot_path)],
        group_name="xraysink",
    )


setup(ext_modules=_compiled())
