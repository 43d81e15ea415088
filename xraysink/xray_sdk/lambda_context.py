"""The recorder's context in AWS Lambda, bridged onto OpenTelemetry spans.

In Lambda the X-Ray SDK's recorder holds a ``LambdaContext``: no segment of the
function's own, subsegments under the function's segment that ``_X_AMZN_TRACE_ID``
names anew for each invocation. :class:`LambdaBridge` keeps that behaviour with the
entities on OpenTelemetry spans (:class:`~xraysink.xray_sdk.bridge.RecorderBridge`):
a subsegment begun with no span of this invocation current is the child of the
function's segment, and passes its ``Sampled``.

The SDK's Django, Flask and Bottle middlewares take their Lambda branch (a subsegment
per request instead of a segment) only when ``type(xray_recorder.context) ==
LambdaContext``; :class:`LambdaBridge`'s class compares equal to ``LambdaContext``
for that test (and is its subclass, for ``isinstance``).
"""

from __future__ import annotations

import logging
from typing import Any

from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from opentelemetry import context as otel_context
from opentelemetry import trace

from xraysink import environment
from xraysink.aws_lambda import function_header
from xraysink.context import AsyncContext
from xraysink.propagation.propagator import context_with_header
from xraysink.xray_sdk import bridge

logger = logging.getLogger(__name__)


class _ComparesAsLambdaContext(type):
    """Metaclass whose classes compare equal to the SDK's ``LambdaContext`` too."""

    def __eq__(cls, other: object) -> bool:
        return other is LambdaContext or cls is other

    __hash__ = type.__hash__


class LambdaBridge(bridge.RecorderBridge, LambdaContext, metaclass=_ComparesAsLambdaContext):  # type: ignore[misc]
    """The X-Ray SDK's ``LambdaContext`` behaviour on OpenTelemetry spans.

    - ``begin_segment``/``end_segment`` are discarded with the SDK's warning: Lambda
      records the function's segment;
    - ``current_segment()`` with no span of this invocation current is the SDK's
      facade of the function's segment, rebuilt when ``_X_AMZN_TRACE_ID`` changes;
    - a subsegment begun there is the child of the function's segment, sampled as
      its ``Sampled`` says; begun before any invocation (no ``_X_AMZN_TRACE_ID``), it
      is discarded as the SDK discards it;
    - a span left open by an earlier invocation (another trace) is never a parent.
    """

    def __init__(self, context_missing: str = "LOG_ERROR", *, sdk_decides: bool = True) -> None:
        # LambdaContext takes no context_missing: it never reports a missing context.
        LambdaContext.__init__(self)
        self.sdk_decides = sdk_decides

    def put_segment(self, segment: Any) -> None:
        LambdaContext.put_segment(self, segment)

    def end_segment(self, end_time: float | None = None) -> None:
        LambdaContext.end_segment(self, end_time)

    def put_subsegment(self, subsegment: Any) -> None:
        _leave_earlier_invocation()
        current = trace.get_current_span().get_span_context()
        if current.is_valid and not current.is_remote:
            super().put_subsegment(subsegment)
            return
        header = function_header()
        if header is None or header.parent_id is None:
            if global_sdk_config.sdk_enabled() and not environment.get(
                environment.LAMBDA_TRACE_HEADER
            ):
                logger.warning(
                    "Subsegment %s discarded due to Lambda worker still initializing",
                    subsegment.name,
                )
            return
        before = otel_context.get_current()
        otel_context.attach(context_with_header(header, before))
        super().put_subsegment(subsegment)
        # Ending the subsegment restores the context from before the function's segment.
        span_id = int(subsegment.id, 16)
        opened = bridge._open.get(span_id)
        if opened is not None:
            bridge._open[span_id] = opened._replace(previous=before)

    def get_trace_entity(self) -> Any:
        _leave_earlier_invocation()
        return super().get_trace_entity()


class LambdaAsyncContext(LambdaBridge, AsyncContext):
    """What ``xraysink.context.AsyncContext()`` (the 1.6.2 set-up) makes in AWS
    Lambda: a :class:`LambdaBridge` that hands tracing to the recorder's settings, as
    ``AsyncContext`` does."""

    def __init__(self, *args: Any, use_task_factory: bool = True, **kwargs: Any) -> None:
        kwargs.pop("loop", None)
        LambdaBridge.__init__(self, *args, **kwargs)
        self._hand_tracing_to_recorder()


def _leave_earlier_invocation() -> None:
    """Drop the current OpenTelemetry context when its span belongs to another trace
    than this invocation's (left open by an earlier invocation on this thread)."""
    current = trace.get_current_span().get_span_context()
    if not current.is_valid:
        return
    header = function_header()
    if header is not None and current.trace_id != header.trace_id:
        otel_context.attach(otel_context.Context())
