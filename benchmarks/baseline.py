"""The true baseline: xraysink 1.6.2 itself, in a virtual environment of its own.

``python_162()`` creates (once) ``.bench-venvs/xraysink-1.6.2/`` at the repository
root with xraysink 1.6.2 from PyPI and the aws-xray-sdk it runs on, and pins the web
stack (FastAPI, Starlette, pydantic, anyio, opentelemetry-api, botocore) and
aws-xray-sdk to the versions of the running environment, so the only difference
from the other scenarios is xraysink. ``scenario_python()`` runs
``benchmarks.scenario xraysink_162_pypi`` in it with an import path holding the
``benchmarks`` package and not this checkout's ``xraysink``.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench-venvs" / "xraysink-1.6.2"
#: A folder holding only a link to ``benchmarks``: the scenario's import path.
PATH_DIR = ROOT / ".bench-venvs" / "path-1.6.2"
#: Packages pinned to the running environment's versions.
PINNED = (
    "aws-xray-sdk",
    "fastapi",
    "starlette",
    "pydantic",
    "anyio",
    "opentelemetry-api",
    "botocore",
)


def requirements() -> list[str]:
    """What the baseline environment installs: xraysink 1.6.2 and the pinned stack."""
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in PINNED]
    return ["xraysink==1.6.2", *pins]


def python_162() -> Path:
    """The baseline environment's interpreter, created and installed on first use
    (about 15 s, from PyPI); recreated when the pins change."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    wanted = "\n".join(requirements())
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print(f"creating {VENV} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *wanted.split(),
            ],
            check=True,
        )
        stamp.write_text(wanted)
    link = PATH_DIR / "benchmarks"
    if not link.exists():
        PATH_DIR.mkdir(parents=True, exist_ok=True)
        os.symlink(ROOT / "benchmarks", link)
    return python


def scenario_python(name: str) -> tuple[list[str], dict[str, str]]:
    """``(interpreter and its options, environment updates)`` running ``-m
    benchmarks.scenario`` for scenario ``name``: this interpreter, except for
    ``xraysink_162_pypi``, run under xraysink 1.6.2 with the import path ``PATH_DIR``
    alone (``-P`` keeps the working directory off it), so this checkout's ``xraysink``
    cannot shadow the installed one."""
    if name != "xraysink_162_pypi":
        return [sys.executable], {}
    return [str(python_162()), "-P"], {"PYTHONPATH": str(PATH_DIR)}
