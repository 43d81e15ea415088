"""Driving ``tests/apps/lambda_runtime.py``: one simulated Lambda execution environment
per ``LambdaRuntime``, a fresh interpreter (a cold start) whose daemon is a real UDP
receiver, frozen between invocations as Lambda freezes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from types import TracebackType
from typing import Any

from tests.servers import APPS, ROOT
from xraysink.receiver.server import Receiver

FUNCTION = "orders-fn"


def trace_header(root: str, parent: str, sampled: int) -> str:
    return f"Root={root};Parent={parent};Sampled={sampled}"


class LambdaRuntime:
    """``_HANDLER`` = ``handler`` in a runtime process with the Lambda environment
    (``AWS_LAMBDA_FUNCTION_NAME``, ``LAMBDA_TASK_ROOT``, ``AWS_REGION``,
    ``AWS_XRAY_DAEMON_ADDRESS`` = the receiver, ...) plus ``env``."""

    def __init__(self, handler: str, receiver: Receiver, **env: str) -> None:
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": f"{APPS}{os.pathsep}{ROOT}",
            "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "LAMBDA_TASK_ROOT": str(APPS),
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_XRAY_DAEMON_ADDRESS": receiver.address,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_EC2_METADATA_DISABLED": "true",
            "_HANDLER": handler,
            **env,
        }
        # A file, not a pipe: a full pipe would block the runtime mid-invocation.
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(APPS / "lambda_runtime.py")],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=APPS,
        )
        self._read()
        self._frozen = False

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(10)
            raise RuntimeError("the runtime exited:\n" + self._error_output())
        result: dict[str, Any] = json.loads(line)
        return result

    def invoke(
        self, event: Any, header: str, request_id: str, handler: str | None = None
    ) -> dict[str, Any]:
        """Thaw the environment if frozen, run one invocation, and return its outcome
        once the environment is frozen again."""
        self.thaw()
        invocation: dict[str, Any] = {"trace_header": header, "request_id": request_id}
        invocation["event"] = event
        if handler is not None:
            invocation["handler"] = handler
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(invocation) + "\n")
        self.process.stdin.flush()
        outcome = self._read()
        self._wait_frozen()
        return outcome

    def _wait_frozen(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "T":
                    self._frozen = True
                    return
            time.sleep(0.005)
        raise AssertionError("the runtime did not freeze after the invocation")

    def thaw(self) -> None:
        if self._frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self._frozen = False

    def close(self) -> str:
        """End the environment; returns what it wrote to stderr."""
        self.thaw()
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        output = self._error_output()
        self._stderr.close()
        return output

    def _error_output(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def __enter__(self) -> LambdaRuntime:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stderr = self.close()
        if error is not None:
            sys.stdout.write(stderr[-4000:])
