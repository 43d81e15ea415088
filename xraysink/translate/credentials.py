"""Captured HTTP headers that carry credentials, which no document ever records.

OpenTelemetry instrumentations capture headers (when told to) as the span
attributes ``http.request.header.<name>`` and ``http.response.header.<name>``,
``<name>`` lowercased with ``-`` turned into ``_`` (HTTP semantic conventions).
Such an attribute is dropped from metadata and annotations, whatever
``indexed_attributes``, ``index_all_attributes`` or ``aws.xray.annotations`` say,
when its header name (lowercased, ``-`` as ``_``) is one of ``CREDENTIAL_HEADERS``
or contains one of ``CREDENTIAL_MARKERS``. The rule errs on the side of dropping:
a header named like a secret is never worth a leak.
"""

from __future__ import annotations

from typing import Any

HEADER_PREFIXES = ("http.request.header.", "http.response.header.")

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "cookie",
        "cookie2",
        "set_cookie",
        "set_cookie2",
        "x_api_key",
        "api_key",
        "apikey",
        "x_amz_security_token",
        "x_auth_token",
        "x_access_token",
        "x_csrf_token",
        "x_xsrf_token",
    }
)
CREDENTIAL_MARKERS = (
    "authorization",
    "cookie",
    "token",
    "secret",
    "passw",
    "api_key",
    "apikey",
    "credential",
    "session",
)


def is_credential_header(key: Any) -> bool:
    """Whether the attribute ``key`` is a captured header that carries credentials."""
    if type(key) is not str or not key.startswith(HEADER_PREFIXES):
        return False
    name = key.split(".header.", 1)[1].lower().replace("-", "_")
    return name in CREDENTIAL_HEADERS or any(marker in name for marker in CREDENTIAL_MARKERS)
