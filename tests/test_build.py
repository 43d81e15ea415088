"""The package under test is the build its environment was made with: the Makefile
makes the default version's venv with the hot path compiled (XRAYSINK_COMPILE=1)
and the others pure Python, and says which when it runs the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xraysink.build import HOT_PATH, compiled_modules, describe

ROOT = Path(__file__).resolve().parents[1]


def test_the_hot_path_is_built_as_the_environment_says() -> None:
    choice = os.environ.get("XRAYSINK_COMPILE")
    if choice is None:
        pytest.skip("XRAYSINK_COMPILE is not set: no build to hold the package to")
    assert describe() == ("compiled (mypyc)" if choice == "1" else "pure Python")
    assert len(compiled_modules()) == (len(HOT_PATH) if choice == "1" else 0)


def test_a_malformed_compile_choice_is_a_clear_build_error() -> None:
    # setup.py runs under setuptools, which venvs of Python 3.12+ do not have.
    pytest.importorskip("setuptools")
    done = subprocess.run(
        [sys.executable, "setup.py", "--name"],
        cwd=ROOT,
        env={**os.environ, "XRAYSINK_COMPILE": "yes"},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "XRAYSINK_COMPILE must be 1 or 0, got 'yes'" in done.stderr
