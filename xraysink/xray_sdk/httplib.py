"""The trace header on ``http.client`` calls traced by the X-Ray SDK's ``httplib`` patch.

That patch (aws_xray_sdk ``ext/httplib``) injects ``X-Amzn-Trace-Id`` only while a
subsegment is open, with the *enclosing* subsegment as ``Parent``, and writes it
into the headers dict it was given, which is the shared default dict of
``HTTPConnection.request()``, so later calls outside any trace carry a
stale header. Under xraysink every outgoing call made inside a trace carries the
current Root, Parent and Sampled, so this wrapper sits *inside* the
SDK's: when it runs, the call's own subsegment is the current span, and it sends
the global propagator's headers (X-Ray, plus W3C when configured) on a copy.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import propagate, trace

from xraysink._internals import wrap_send_request

_installed = False


def install() -> None:
    """Wrap ``HTTPConnection._send_request`` once. Must run before the SDK's patch
    wraps it (xraysink registers it for the import of ``aws_xray_sdk.ext.httplib``,
    which precedes ``patch()``); installed after, the header's ``Parent`` is the
    enclosing entity, as with the SDK alone."""
    global _installed
    if not _installed:
        _installed = wrap_send_request(_send_request)


def _send_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid and not span_context.is_remote:
        with_headers = _with_trace_headers(*args, **kwargs)
        if with_headers is not None:
            return wrapped(*with_headers)
    return wrapped(*args, **kwargs)


def _with_trace_headers(
    method: Any, url: Any, body: Any = None, headers: Any = None, encode_chunked: bool = False
) -> tuple[Any, ...] | None:
    """The arguments of ``_send_request`` with the trace headers added to a copy of
    ``headers``; None when they are not the ones of ``http.client``."""
    if not isinstance(headers, dict):
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    names = {name.lower() for name in carrier}
    sent = {name: value for name, value in headers.items() if str(name).lower() not in names}
    sent.update(carrier)
    return method, url, body, sent, encode_chunked
