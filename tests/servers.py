"""Real servers for end-to-end tests: each app runs in its own process on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

K = TypeVar("K")

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


@contextmanager
def serve_all(servers: dict[K, AbstractContextManager[str]]) -> Iterator[dict[K, str]]:
    """Start every ``serve(...)`` of ``servers`` side by side; yield their base URLs by
    key; stop those that started. Raises the first start failure."""
    with ExitStack() as stack, ThreadPoolExecutor(len(servers)) as pool:
        started = {key: pool.submit(server.__enter__) for key, server in servers.items()}
        wait(started.values())
        for key, future in started.items():
            if future.exception() is None:
                stack.push(servers[key].__exit__)
        yield {key: future.result() for key, future in started.items()}


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
