"""Real servers for end-to-end tests: each app runs in its own process on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APPS = Path(__file__).parent / "apps"
ROOT = Path(__file__).parent.parent
_READY = re.compile(r"(?:Uvicorn running on|listening on) (http://127\.0\.0\.1:\d+)")


@contextmanager
def serve(
    command: list[str], env: dict[str, str], timeout: float = 30.0, ready: str | None = None
) -> Iterator[str]:
    """Start ``command``; yield its base URL once it prints it (or ``ready`` once a line
    contains it); stop it afterwards."""
    process = subprocess.Popen(
        command,
        env={**os.environ, "PYTHONPATH": f"{APPS}{os.pathsep}{ROOT}", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found = threading.Event()
    url: list[str] = []
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = _READY.search(line)
            if ready is not None and ready in line and not found.is_set():
                url.append(ready)
                found.set()
            elif ready is None and match and not found.is_set():
                url.append(match.group(1))
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(timeout):
            raise RuntimeError("server did not start:\n" + "".join(lines))
        yield url[0]
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        sys.stdout.write("".join(lines[-40:]))


def uvicorn(app: str) -> list[str]:
    """Command line for ``uvicorn <app>`` on a free port of 127.0.0.1."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-level",
        "info",
    ]


def daemon_env(daemon_port: int, **extra: str) -> dict[str, str]:
    return {"AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}", **extra}
