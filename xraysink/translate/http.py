"""The ``http`` block of an X-Ray entity and the HTTP status used for flags.

Follows the collector's awsxrayexporter http.go (makeHTTP, constructServerURL,
constructClientURL), reading both the old (``http.*``, ``net.*``) and the stable
(``http.request.*``, ``url.*``, ``server.*``, ``client.*``, ``network.*``) semantic
conventions. ``content_length`` comes from ``http.response_content_length`` /
``http.response.body.size`` when the instrumentation records them, else from RPC
message events, as the collector reads it. Departures, each to lose less:
``content_length`` is omitted when unknown (the collector writes 0); ``x_forwarded_for``
is true whenever ``client_ip`` came from a forwarded source, even when a peer
address is also known; a client URL built from ``server.address`` keeps
``server.port``; no ``url`` is written when no host is known (the collector would
write ``http:///``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event

from xraysink.translate.clean import clean_str

# Attributes that mark a span as HTTP (collector http.go: hasHTTP).
HTTP_MARKERS = frozenset(
    {
        "http.method",
        "http.request.method",
        "http.client_ip",
        "http.user_agent",
        "user_agent.original",
        "http.status_code",
        "http.response.status_code",
        "http.url",
        "url.full",
        "http.scheme",
        "url.scheme",
        "http.host",
        "http.target",
        "http.server_name",
        "net.host.port",
        "url.path",
        "url.query",
        "http.response_content_length",
        "http.response.body.size",
    }
)

#: The request's client as the application's own middleware read it, recorded as it
#: is when no address attribute says it (a peer that is no IP literal: X-Ray SDK
#: middlewares write whatever the framework reports, e.g. ``testclient``).
CLIENT_IP_ATTRIBUTE = "xraysink.client_ip"

# Every attribute the http block consumes when the span is HTTP; on other spans
# they stay in metadata (the collector drops the address ones there).
HTTP_KEYS = HTTP_MARKERS | frozenset(
    {
        "host.name",
        "net.host.name",
        "net.peer.name",
        "net.peer.port",
        "net.peer.ip",
        "network.peer.address",
        "client.address",
        "server.address",
        "server.port",
        CLIENT_IP_ATTRIBUTE,
    }
)

_ADDRESS_KEYS = frozenset({"net.peer.ip", "network.peer.address", "client.address"})
_LENGTH_KEYS = ("http.response_content_length", "http.response.body.size")
_IP_CHARS = frozenset("0123456789abcdefABCDEF:.")
_MEMO_LIMIT = 4096
_ip_memo: dict[str, bool] = {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value if value.isascii() else clean_str(value)
    if type(value) is int:
        return str(value)
    return ""


def looks_like_ip(value: str) -> bool:
    """Whether ``value`` reads as an IPv4 or IPv6 address literal."""
    # Stands in for net.ParseIP (collector http.go), which keeps host names and
    # socket paths out of client_ip: hex digits with colons (IPv6), or four dotted
    # decimal groups (IPv4). Peer and client addresses repeat, so answers are memoised.
    known = _ip_memo.get(value)
    if known is None:
        known = (
            bool(value)
            and _IP_CHARS.issuperset(value)
            and (":" in value or (value.count(".") == 3 and value.replace(".", "").isdigit()))
        )
        if len(_ip_memo) >= _MEMO_LIMIT:
            _ip_memo.clear()
        _ip_memo[value] = known
    return known


#: Largest integer a document may carry: orjson (and the X-Ray backend) take 64-bit ints.
_MAX_INT = (1 << 63) - 1


def _status(value: Any) -> int | None:
    if type(value) is int:
        return value if 0 <= value <= _MAX_INT else None
    if value is None:
        return None
    # The length bound comes first: int() of a huge digit string is slow, then raises.
    if type(value) is str and len(value) <= 19 and value.isdecimal():
        status = int(value)
        return status if status <= _MAX_INT else None
    return None


def _first(attributes: Mapping[str, Any], present: frozenset[str], keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in present:
            value = attributes[key]
            text = value if type(value) is str and value.isascii() else _text(value)
            if text:
                return text
    return ""


_SERVER_HOSTS = ("http.server_name", "net.host.name", "host.name", "server.address")
_SERVER_PORTS = ("net.host.port", "server.port")
_CLIENT_HOSTS = ("net.peer.name", "net.peer.ip")


def _url(attributes: Mapping[str, Any], present: frozenset[str], server: bool) -> str:
    """Rebuild a request URL from its parts (collector http.go construct*URL), or ``""``."""
    host = _text(attributes["http.host"]) if "http.host" in present else ""
    port = ""
    if not host:
        if server:
            host = _first(attributes, present, _SERVER_HOSTS)
            port = _first(attributes, present, _SERVER_PORTS)
        else:
            host = _first(attributes, present, _CLIENT_HOSTS)
            if host:
                port = _text(attributes.get("net.peer.port"))
            else:
                host = _text(attributes.get("server.address"))
                port = _text(attributes.get("server.port"))
    if not host:
        # Without a host there is no URL worth sending (the collector would write "http:///").
        return ""
    scheme = _first(attributes, present, ("http.scheme", "url.scheme")) or "http"
    url = scheme + "://" + host
    if (
        port
        # server.address may come from a Host header that names the port already.
        and not host.endswith(":" + port)
        and not (port == "80" and scheme == "http")
        and not (port == "443" and scheme == "https")
    ):
        url += ":" + port
    # _text inlined for its common case, an ASCII str: this runs for every server span.
    if "http.target" in present:
        value = attributes["http.target"]
        return url + (value if type(value) is str and value.isascii() else _text(value))
    value = attributes.get("url.path")
    url += (value if type(value) is str and value.isascii() else _text(value)) or "/"
    value = attributes.get("url.query")
    query = value if type(value) is str and value.isascii() else _text(value)
    if query:
        url += query if query[0] == "?" else "?" + query
    return url


def _content_length(attributes: Mapping[str, Any], events: Sequence[Event]) -> int | None:
    for key in _LENGTH_KEYS:
        value = attributes.get(key)
        if type(value) is int and 0 <= value <= _MAX_INT:
            return value
    # Collector http.go: RPC instrumentations record the size on RECEIVED message events.
    for event in events:
        event_attributes = event.attributes or {}
        if event_attributes.get("message.type") == "RECEIVED":
            size = event_attributes.get("messaging.message_payload_size_bytes")
            if type(size) is int and 0 < size <= _MAX_INT:
                return size
    return None


def make_http(
    attributes: Mapping[str, Any],
    present: frozenset[str],
    server: bool,
    events: Sequence[Event],
) -> tuple[dict[str, Any] | None, int | None]:
    """Return ``(http, status)``: the ``http`` block (or ``None``) and the HTTP status.

    ``present``: the keys of ``attributes`` that the translator watches (a superset
    check is all it needs); ``server`` is true for SERVER spans, whose URL is rebuilt
    from the server-side attributes. Block shape: ``{"request": {"method", "url",
    "user_agent", "client_ip", "x_forwarded_for"}, "response": {"status",
    "content_length"}}`` with ``content_length`` in bytes, ``x_forwarded_for`` only
    when true and empty parts omitted. ``status`` is ``http.status_code``, else
    ``http.response.status_code`` (collector cause.go), as an int.
    """
    get = attributes.get
    request: dict[str, Any] = {}
    # Each read inlines _text's common case (an ASCII str): this runs for every HTTP span.

    value = get("http.request.method")
    method = value if type(value) is str and value.isascii() else _text(value)
    if not method or method == "_OTHER":
        method = _text(get("http.method")) or method
    if method:
        request["method"] = method

    value = get("url.full") or get("http.url")
    if value is None:
        url = _url(attributes, present, server)
    else:
        url = value if type(value) is str and value.isascii() else _text(value)
    if url:
        request["url"] = url

    value = get("user_agent.original") or get("http.user_agent")
    agent = value if type(value) is str and value.isascii() else _text(value)
    if agent:
        request["user_agent"] = agent

    forwarded = _text(get("http.client_ip")) if "http.client_ip" in present else ""
    if forwarded:
        request["client_ip"] = forwarded
        request["x_forwarded_for"] = True
    elif not present.isdisjoint(_ADDRESS_KEYS):
        value = get("net.peer.ip")
        peer = value if type(value) is str and value.isascii() else _text(value)
        if not peer and "network.peer.address" in present:
            peer = _text(attributes["network.peer.address"])
            if not looks_like_ip(peer):
                peer = ""
        value = get("client.address")
        client = value if type(value) is str and value.isascii() else _text(value)
        if client and looks_like_ip(client):
            request["client_ip"] = client
            if client != peer:
                request["x_forwarded_for"] = True
        elif peer:
            request["client_ip"] = peer
    elif CLIENT_IP_ATTRIBUTE in present:
        client = _text(attributes[CLIENT_IP_ATTRIBUTE])
        if client:
            request["client_ip"] = client

    response: dict[str, Any] = {}
    value = get("http.status_code")
    status = value if type(value) is int and 0 <= value <= _MAX_INT else _status(value)
    if status is None:
        value = get("http.response.status_code")
        status = value if type(value) is int and 0 <= value <= _MAX_INT else _status(value)
    if status is not None:
        response["status"] = status
    if events or not present.isdisjoint(_LENGTH_KEYS):
        length = _content_length(attributes, events)
        if length is not None:
            response["content_length"] = length

    if not request and not response:
        return None, status
    block: dict[str, Any] = {}
    if request:
        block["request"] = request
    if response:
        block["response"] = response
    return block, status
