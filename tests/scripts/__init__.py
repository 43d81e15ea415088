"""Tests of scripts and workers; ``run_python`` runs a Python snippet in a fresh
interpreter, as a user's script would run, ``run_isolated`` in an environment of its
own."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.servers import ROOT


def run_python(
    code: str, env: dict[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) with this interpreter from the repository root;
    ``env`` replaces the environment when given. Output captured as text, ``timeout``
    seconds at most."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def run_isolated(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter whose environment holds only ``env`` (and, unless
    ``env`` says otherwise, a sampler that samples every trace)."""
    return run_python(code, {"PATH": "/usr/bin:/bin", "OTEL_TRACES_SAMPLER": "always_on", **env})


def printed_trace_id(result: subprocess.CompletedProcess[str]) -> str:
    """The X-Ray trace id of the 32-hex OpenTelemetry trace id the script printed."""
    assert result.returncode == 0, result.stderr
    digits = result.stdout.strip()
    return f"1-{digits[:8]}-{digits[8:]}"
