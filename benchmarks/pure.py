"""Running a scenario on a pure-Python copy of xraysink, whatever the installed build.

On a compiled build (``xraysink.build``) the benchmarks measure the OpenTelemetry-first
request a second time on the package's Python sources alone, so that both builds are
compared within one run, on the same machine load.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: The scenario measured again on the pure-Python copy.
PURE_SCENARIO = "xraysink_lean"


def copy_sources(directory: str) -> None:
    """Copy the xraysink package's Python files alone under ``directory``: imported
    from there, it runs pure Python whatever the installed build."""
    import xraysink

    shutil.copytree(
        Path(xraysink.__file__).parent,
        Path(directory, "xraysink"),
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"),
    )


def pure_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a ``python -m benchmarks...`` run with the current directory at a
    ``copy_sources`` directory: ``-m`` puts that directory first on the import path,
    and the benchmarks package stays importable from its checkout."""
    checkout = str(Path(__file__).resolve().parents[1])
    paths = [checkout, env.get("PYTHONPATH", "")]
    return {**env, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
