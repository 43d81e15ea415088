"""Local stand-ins for what the zero-code tests reach (their HTTP servers are
``tests.apps.downstream.downstream`` with fixed answers): a tripwire proxy that records
any attempt to leave this machine, and the registration of xraysink's entry points as
``pyproject.toml`` declares them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import xraysink
from tests.servers import APPS, ROOT

INSTRUMENT = str(Path(sys.executable).with_name("opentelemetry-instrument"))


class Tripwire:
    """A TCP listener on 127.0.0.1 given to child processes as their HTTP(S) proxy:
    urllib (every AWS resource detector), requests and botocore send anything not for
    127.0.0.1 or localhost there, so it is refused here and counted."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            client.close()

    def env(self) -> dict[str, str]:
        proxy = f"http://127.0.0.1:{self.port}"
        names = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
        local = "127.0.0.1,localhost"
        return {**dict.fromkeys(names, proxy), "no_proxy": local, "NO_PROXY": local}

    def close(self) -> None:
        self._socket.close()


def register_entry_points(folder: Path) -> Path:
    """Write a ``xraysink`` distribution's metadata into ``folder`` with the entry points
    ``pyproject.toml`` declares, as installing the project would; a child process with
    ``folder`` first on ``PYTHONPATH`` finds them (importlib.metadata takes the first
    distribution of a name). Returns ``folder``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    info = folder / f"xraysink-{xraysink.__version__}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: xraysink\nVersion: {xraysink.__version__}\n"
    )
    groups = {"console_scripts": project.get("scripts", {}), **project["entry-points"]}
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items()) + "\n"
            for group, points in groups.items()
        )
    )
    return folder


def child_env(entry_points: Path, tripwire: Tripwire, **extra: str) -> dict[str, str]:
    """The environment of a zero-code child: xraysink's entry points, this worktree and
    the test apps on ``PYTHONPATH``, the tripwire proxy, nothing inherited from
    ``OTEL_*``/``AWS_*`` variables of the test run, every trace sampled (no sampling
    proxy listens here), and ``extra``."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "AWS_", "ECS_", "XRAYSINK_", "_X_AMZN"))
    }
    path = os.pathsep.join([str(entry_points), str(APPS), str(ROOT)])
    sampled = {"OTEL_TRACES_SAMPLER": "always_on"}
    return {**inherited, **tripwire.env(), "PYTHONPATH": path, **sampled, **extra}


def run_instrumented(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``opentelemetry-instrument <this python> args...`` to completion."""
    return subprocess.run(
        [INSTRUMENT, sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Installed first in every `python -c` child: a connection, datagram or name lookup for
# anything but this machine raises before it leaves.
_GUARD = """
import sys as _sys

def _guard(event, args):
    local = ("127.0.0.1", "localhost", "::1")
    if event in ("socket.connect", "socket.sendto"):
        address = args[-1]
        if isinstance(address, tuple) and address[0] not in local:
            raise ConnectionRefusedError(f"test guard: {address!r} is not on this machine")
    elif event == "socket.getaddrinfo" and args[0] not in (*local, None, b"127.0.0.1"):
        raise OSError(f"test guard: no lookup of {args[0]!r}")

_sys.addaudithook(_guard)
"""


def run_script(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a fresh interpreter behind the off-machine guard."""
    return subprocess.run(
        [sys.executable, "-c", _GUARD + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
