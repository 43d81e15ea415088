"""Tests of scripts and workers; ``run_python`` runs a Python snippet in a fresh
interpreter, as a user's script would run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.servers import ROOT


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) with this interpreter from the repository root;
    ``env`` replaces the environment when given. Output captured as text, 60 s limit."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
