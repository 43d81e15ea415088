"""``AsyncContext``: the recorder context of the 1.6.2 call sites.

``xray_recorder.configure(context=AsyncContext(), ...)`` makes the recorder drive
OpenTelemetry tracing (naming, sampling, emitter) and bridges the recorder API
onto OpenTelemetry spans (:class:`xraysink.xray_sdk.bridge.RecorderBridge`): entities live
in the OpenTelemetry context, a ``contextvars.ContextVar``, so the context needs no
event loop at construction (1.6.2 bound the loop found at import time and
recorded nothing under uvicorn) and follows ``await``, tasks,
``create_task(context=...)``, TaskGroups, ``asyncio.to_thread`` and threads
started under ``contextvars.copy_context()``.
"""

from __future__ import annotations

from typing import Any

from xraysink import environment, pipeline
from xraysink.xray_sdk.bridge import RecorderBridge, connect


class AsyncContext(RecorderBridge):
    """Recorder context for asyncio (1.6.2 signature).

    ``use_task_factory`` and ``loop`` are accepted for compatibility and ignored:
    context variables follow tasks without a task factory. Creating an instance
    hands tracing to the recorder's settings (``xraysink.pipeline.use_recorder``);
    the recorder's sampling decides new segments. In AWS Lambda
    (``AWS_LAMBDA_FUNCTION_NAME`` set) the instance is a
    :class:`~xraysink.xray_sdk.lambda_context.LambdaAsyncContext`: the X-Ray SDK's
    ``LambdaContext`` behaviour, subsegments of the function's segment.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> AsyncContext:
        if cls is AsyncContext and environment.in_lambda():
            # The SDK's LambdaContext behaviour (its middlewares' Lambda branch too).
            from xraysink.xray_sdk.lambda_context import LambdaAsyncContext

            cls = LambdaAsyncContext
        instance: AsyncContext = super().__new__(cls)
        return instance

    def __init__(self, *args: Any, use_task_factory: bool = True, **kwargs: Any) -> None:
        kwargs.pop("loop", None)
        super().__init__(*args, **kwargs)
        self._hand_tracing_to_recorder()

    @staticmethod
    def _hand_tracing_to_recorder() -> None:
        pipeline.use_recorder()
        connect(pipeline.local_root_id, pipeline.subsegment_children())
