"""A real ``xraysink listen`` process whose output lines are read in the background."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

from tests.servers import ROOT


class Listener:
    """A running ``python -m xraysink.cli listen`` whose output lines are read in the
    background, so a test can wait for a line without blocking forever."""

    #: Seconds ``next_line`` waits for a line.
    line_timeout = 10.0

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xraysink.cli", "listen", "--address", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        self.reader = threading.Thread(target=self._read, args=(stdout,), daemon=True)
        self.reader.start()
        first = self.next_line()
        assert first.startswith("listening on 127.0.0.1:"), first
        self.port = int(first.rsplit(":", 1)[1])

    def _read(self, stdout: Any) -> None:
        for line in stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float | None = None) -> str:
        timeout = self.line_timeout if timeout is None else timeout
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            _, stderr = self.process.communicate()
            raise AssertionError(f"no output line in {timeout}s; stderr: {stderr}") from None

    def lines_until(self, prefix: str) -> list[str]:
        """Lines up to and including the first one that starts with ``prefix``."""
        seen = [self.next_line()]
        while not seen[-1].startswith(prefix):
            seen.append(self.next_line())
        return seen

    def send(self, *payloads: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for payload in payloads:
                sock.sendto(payload, ("127.0.0.1", self.port))

    def stop(self, sig: signal.Signals = signal.SIGINT) -> tuple[int, list[str], str]:
        """``sig`` (SIGINT); the exit status, the output lines after the ones already
        read, and stderr; fails unless the listener exits 0."""
        self.process.send_signal(sig)
        returncode = self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        self.process.stderr.close()
        assert self.process.stdout is not None
        self.process.stdout.close()
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        assert returncode == 0, stderr
        return returncode, rest, stderr

    def kill(self) -> None:
        """Kill the process unless it has exited: the clean-up after a test that failed
        before ``stop``."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
