"""A stand-in for the AWS Lambda Python runtime, run as ``python lambda_runtime.py``.

As the real runtime does: imports the handler named by ``_HANDLER`` (``module.function``)
at init, with no ``_X_AMZN_TRACE_ID`` set; then, for each invocation (one JSON line on
stdin: ``{"trace_header", "request_id", "event"}``, and ``"handler"`` to call another
function of the handler's module), sets ``_X_AMZN_TRACE_ID``, calls
``handler(event, context)`` with a context object of the runtime's shape, prints one
JSON line (``{"result": ...}`` or ``{"error": type, "message": ...}``) and freezes the
process (SIGSTOP) until the next invocation, as Lambda freezes the execution environment
between invocations: whatever a handler left to send later stays unsent while frozen.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
from typing import Any


class LambdaContext:
    """The attributes of the runtime's context object (awslambdaric ``LambdaContext``)."""

    def __init__(self, request_id: str) -> None:
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "2026/12/06/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def main() -> None:
    os.environ.pop("_X_AMZN_TRACE_ID", None)
    module_name, function = os.environ["_HANDLER"].rsplit(".", 1)
    module = importlib.import_module(module_name)
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        invocation = json.loads(line)
        os.environ["_X_AMZN_TRACE_ID"] = invocation["trace_header"]
        handler = getattr(module, invocation.get("handler", function))
        outcome: dict[str, Any]
        try:
            context = LambdaContext(invocation["request_id"])
            outcome = {"result": handler(invocation["event"], context)}
        except Exception as error:
            outcome = {"error": type(error).__name__, "message": str(error)}
        print(json.dumps(outcome), flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)


if __name__ == "__main__":
    main()
