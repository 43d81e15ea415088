"""``xray_middleware``: one X-Ray segment per HTTP request (1.6.2 call site).

Starlette/FastAPI: ``app.add_middleware(BaseHTTPMiddleware, dispatch=xray_middleware)``.
aiohttp: ``web.Application(middlewares=[xray_middleware])``.

The segment is an OpenTelemetry SERVER span. When the request already has one
(FastAPI's own telemetry or the OpenTelemetry ASGI instrumentation, which run
outside user middleware), that span is adopted and given the middleware's fields
instead of opening a second segment. Field sources: X-Ray SDK
middlewares (segment name, ``X-Forwarded-For``, response header) and the OTel HTTP
semantic conventions (attribute keys).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from xraysink import pipeline
from xraysink._types import NAME_ATTRIBUTE
from xraysink._version import __version__
from xraysink.framework_spans import FrameworkSpan
from xraysink.propagation.header import (
    HEADER_NAME,
    TraceHeader,
    format_response_header,
    parse_trace_header,
)
from xraysink.propagation.propagator import start_span_with_header
from xraysink.translate.http import CLIENT_IP_ATTRIBUTE, looks_like_ip

_tracer = trace.get_tracer("xraysink", __version__)

_TRACE_HEADER_KEY = HEADER_NAME.lower().encode()


async def xray_middleware(request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
    """Trace one request as an X-Ray segment; returns the handler's response.

    ``request`` is a Starlette ``Request`` (``handler`` = ``call_next``) or an aiohttp
    ``web.Request``. Records http.request (url with query, method, user_agent,
    client_ip: the first ``X-Forwarded-For`` address, else a ``remote_addr`` /
    ``remote-addr`` header, either with ``x_forwarded_for``, else the peer as it is),
    http.response (status, content_length) and the 4xx/429/5xx flags.
    An unhandled exception is recorded as status 500 with a fault and a cause,
    then re-raised. The response carries ``X-Amzn-Trace-Id: Root=...`` (plus
    ``;Sampled=`` when asked with ``Sampled=?``). Tracing failures never reach the
    application.
    """
    if hasattr(request, "scope"):
        return await _starlette(request, handler)
    return await _aiohttp(request, handler)


# aiohttp takes a plain coroutine function as a new-style middleware when it is marked.
xray_middleware.__middleware_version__ = 1  # type: ignore[attr-defined]


def _request_attributes(
    method: str,
    url: str,
    path: str,
    host: str | None,
    user_agent: str | None,
    forwarded_for: str | None,
    remote_addr: str | None,
    peer: str | None,
) -> dict[str, Any]:
    host = ("localhost" if host is None else host).split(":", 1)[0]
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.full": url,
        "url.path": path,
        "server.address": host,
    }
    name = pipeline.recorder_segment_name(host)
    if name:
        attributes[NAME_ATTRIBUTE] = name
    if user_agent:
        attributes["user_agent.original"] = user_agent
    # 1.6.2's order: X-Forwarded-For, a remote_addr or remote-addr header (set by some
    # proxies; client-supplied as much as X-Forwarded-For, so marked forwarded too),
    # then the socket peer.
    forwarded = (forwarded_for or "").split(",", 1)[0].strip() or remote_addr
    if forwarded:
        attributes["http.client_ip"] = forwarded
    if peer:
        if looks_like_ip(peer):
            if not forwarded:
                attributes["client.address"] = peer
            attributes["network.peer.address"] = peer
        elif not forwarded:
            # A host name or socket name (Starlette's TestClient says "testclient"):
            # recorded as it is, as 1.6.2 did, where an address cannot say it.
            attributes[CLIENT_IP_ATTRIBUTE] = peer
    return attributes


def _start(attributes: dict[str, Any], header: TraceHeader | None) -> Span:
    name = "HTTP " + attributes["http.request.method"]
    return start_span_with_header(
        _tracer, name, header, kind=SpanKind.SERVER, attributes=attributes
    )


def _adoptable(scope: Mapping[str, Any], path: str) -> Span | None:
    telemetry = scope.get("fastapi.telemetry")
    span = getattr(telemetry, "span", None)
    # A FrameworkSpan stands for a SERVER span that was not made: no segment to adopt.
    if isinstance(span, Span) and not isinstance(span, FrameworkSpan):
        return span
    current = trace.get_current_span()
    attributes = getattr(current, "attributes", None) or {}
    target = attributes.get("url.path") or attributes.get("http.target") or ""
    if getattr(current, "kind", None) is SpanKind.SERVER and str(target).split("?")[0] == path:
        return current
    return None


def _record_response(span: Span, status: int, length: str | None) -> None:
    span.set_attribute("http.response.status_code", status)
    if length is not None and length.isdigit():
        span.set_attribute("http.response.body.size", int(length))
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def _record_exception(span: Span, exc: BaseException) -> None:
    span.set_attribute("http.response.status_code", 500)
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _response_header(span: Span, header: TraceHeader | None) -> str:
    context = span.get_span_context()
    return format_response_header(context.trace_id, context.trace_flags.sampled, header)


# A Host header that every Starlette release turns into the URL's authority as it is.
_PLAIN_HOST = re.compile(rb"[A-Za-z0-9.-]+(?::([0-9]{1,5}))?")
_PLAIN_SCHEMES = frozenset({"http", "https"})


def _url(request: Any, scope: Mapping[str, Any], host: bytes | None) -> str:
    """``str(request.url)``, without building Starlette's ``URL`` in the common case:
    a plain Host header, no ``root_path`` (older Starlette releases put it into the
    URL) and a path that Starlette neither escapes nor rewrites."""
    scheme: str = scope.get("scheme", "http")
    path: str = scope["path"]
    if (
        host is not None
        and scheme in _PLAIN_SCHEMES
        and not scope.get("root_path")
        and path[:1] == "/"
        and path[1:2] != "/"
        and "?" not in path
        and "#" not in path
        and "\\" not in path
    ):
        plain = _PLAIN_HOST.fullmatch(host)
        if plain is not None and int(plain[1] or 0) <= 65535:
            query: str = scope.get("query_string", b"").decode()
            url = scheme + "://" + host.decode("latin-1") + path
            return url + "?" + query if query else url
    return str(request.url)


def _request_headers(scope: MutableMapping[str, Any]) -> dict[bytes, bytes]:
    """The request headers by lowercase name, the first of repeated ones (as
    Starlette's ``Headers.get``)."""
    raw = scope["headers"]
    if not isinstance(raw, list):
        # Any iterable may come; the app reads the headers after this middleware.
        raw = scope["headers"] = list(raw)
    return dict(reversed(raw))


async def _starlette(request: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    scope = request.scope
    path = scope.get("path", "")
    try:
        pipeline.ensure_configured()
        headers = _request_headers(scope)
        trace_header = headers.get(_TRACE_HEADER_KEY)
        header = parse_trace_header(trace_header.decode("latin-1") if trace_header else None)
        span = _adoptable(scope, path)
        owned = span is None
        # An adopted span that does not record (unsampled) would drop the attributes.
        if span is None or span.is_recording():
            host = headers.get(b"host")
            user_agent = headers.get(b"user-agent")
            forwarded_for = headers.get(b"x-forwarded-for")
            remote_addr = headers.get(b"remote_addr") or headers.get(b"remote-addr")
            client = scope.get("client")
            attributes = _request_attributes(
                scope["method"],
                _url(request, scope, host),
                path,
                host.decode("latin-1") if host is not None else None,
                user_agent.decode("latin-1") if user_agent is not None else None,
                forwarded_for.decode("latin-1") if forwarded_for is not None else None,
                remote_addr.decode("latin-1") if remote_addr is not None else None,
                client[0] if client else None,
            )
            if span is None:
                span = _start(attributes, header)
            else:
                span.set_attributes(attributes)
        # The adopted span is usually current already (FastAPI's telemetry and the
        # OTel ASGI instrumentation make it so): attaching it again changes nothing.
        token = (
            None
            if not owned and trace.get_current_span() is span
            else otel_context.attach(trace.set_span_in_context(span))
        )
    except Exception:
        return await call_next(request)
    try:
        response = await call_next(request)
    except BaseException as exc:
        # CancelledError (client gone, timeout) too: an open span would be lost.
        if isinstance(exc, Exception):
            _record_exception(span, exc)
        if owned:
            span.end()
        raise
    finally:
        if token is not None:
            otel_context.detach(token)
    response_headers = response.headers
    _record_response(span, response.status_code, response_headers.get("content-length"))
    response_headers[HEADER_NAME] = _response_header(span, header)
    if owned:
        _end_after_body(response, span)
    return response


def _end_after_body(response: Any, span: Span) -> None:
    body = getattr(response, "body_iterator", None)
    if body is None:
        span.end()
    else:
        response.body_iterator = _BodyThenEnd(body, span)


class _BodyThenEnd:
    """The response body, ending the span after its last chunk, on an error, or when
    dropped unread (a client gone before the body: an async generator's ``finally``
    would never run then)."""

    def __init__(self, body: AsyncIterator[Any], span: Span) -> None:
        self._body = body
        self._span = span

    def __aiter__(self) -> _BodyThenEnd:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self._body.__anext__()
        except BaseException:
            self._end()
            raise

    def _end(self) -> None:
        if self._span.is_recording():
            self._span.end()

    def __del__(self) -> None:
        self._end()


async def _aiohttp(request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
    from aiohttp.web import HTTPException

    try:
        pipeline.ensure_configured()
        headers = request.headers
        header = parse_trace_header(headers.get(HEADER_NAME))
        attributes = _request_attributes(
            request.method,
            str(request.url),
            request.path,
            headers.get("host"),
            headers.get("user-agent"),
            headers.get("x-forwarded-for"),
            headers.get("remote_addr") or headers.get("remote-addr"),
            request.remote,
        )
        span = _start(attributes, header)
    except Exception:
        return await handler(request)
    try:
        with trace.use_span(
            span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        ):
            response = await handler(request)
    except HTTPException as exc:
        # aiohttp signals non-2xx responses with exceptions that are responses.
        _record_response(span, exc.status, exc.headers.get("content-length"))
        exc.headers[HEADER_NAME] = _response_header(span, header)
        raise
    except Exception as exc:
        _record_exception(span, exc)
        raise
    else:
        _record_response(span, response.status, response.headers.get("content-length"))
        if not response.prepared:
            response.headers[HEADER_NAME] = _response_header(span, header)
        return response
    finally:
        span.end()
