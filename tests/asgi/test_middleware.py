"""The middleware's cheap request reading gives what Starlette's ``Request`` gives.

``xray_middleware`` builds the common request URL itself and reads the headers
straight from the ASGI scope (issue 5: CPU per request); the results are checked
here against Starlette's own ``str(request.url)`` and ``request.headers``.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from xraysink.asgi.middleware import _request_headers, _url


def _scope(
    host: bytes | None = b"orders.internal:8080", path: str = "/orders/42", **fields: Any
) -> dict[str, Any]:
    headers = [(b"user-agent", b"curl/8.5")]
    if host is not None:
        headers.insert(0, (b"host", host))
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": b"expand=lines",
        "root_path": "",
        "headers": headers,
        "client": ("10.0.3.17", 53122),
        "server": ("10.0.3.2", 8080),
    }
    scope.update(fields)
    return scope


@pytest.mark.parametrize(
    "scope",
    [
        _scope(),
        _scope(b"Orders.Internal"),
        _scope(b"10.0.3.2:80"),
        _scope(b"orders.internal:65535"),
        _scope(b"orders.internal:65536"),
        _scope(b"orders.internal:0080"),
        _scope(b"orders.internal:"),
        _scope(b"[::1]:8080"),
        _scope(b"user@orders.internal"),
        _scope(b""),
        _scope(None),
        _scope(scheme="https"),
        _scope(scheme="ws"),
        _scope(query_string=b""),
        _scope(query_string=b"q=caf\xc3\xa9&x"),
        _scope(root_path="/api", path="/api/orders/42"),
        _scope(path=""),
        _scope(path="//orders"),
        _scope(path="/a?b#c\\d"),
        _scope(path="/commandes/café"),
    ],
)
def test_url_is_starlettes(scope: dict[str, Any]) -> None:
    host = _request_headers(scope).get(b"host")
    assert _url(Request(scope), scope, host) == str(Request(scope).url)


def test_headers_are_starlettes_first_of_repeated() -> None:
    raw = ((b"host", b"first"), (b"x-forwarded-for", b"203.0.113.7"), (b"host", b"second"))
    scope = _scope(headers=iter(raw))
    headers = _request_headers(scope)
    starlette = Request(scope).headers
    for name in ("host", "x-forwarded-for", "user-agent"):
        value = headers.get(name.encode())
        assert (value.decode("latin-1") if value is not None else None) == starlette.get(name)
    # A one-shot iterable is kept readable for the application, as Starlette keeps it.
    assert scope["headers"] == list(raw)
