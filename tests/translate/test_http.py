"""The http block (old and stable conventions) and the fault/error/throttle flags."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import Event
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.translate.helpers import child, one, server

ASGI_OLD = {
    "http.scheme": "http",
    "http.host": "127.0.0.1:8000",
    "net.host.port": 8000,
    "http.flavor": "1.1",
    "http.target": "/items/42?q=1",
    "http.url": "http://127.0.0.1:8000/items/42?q=1",
    "http.method": "GET",
    "http.server_name": "127.0.0.1",
    "http.user_agent": "curl/8.0",
    "net.peer.ip": "10.0.0.7",
    "net.peer.port": 51234,
    "http.route": "/items/{id}",
    "http.status_code": 200,
    "http.response_content_length": 512,
}

ASGI_STABLE = {
    "url.scheme": "https",
    "server.address": "shop.example.com",
    "server.port": 8443,
    "url.path": "/items/42",
    "url.query": "q=1",
    "http.request.method": "GET",
    "user_agent.original": "curl/8.0",
    "client.address": "10.0.0.7",
    "network.peer.address": "10.0.0.7",
    "network.peer.port": 51234,
    "http.route": "/items/{id}",
    "http.response.status_code": 200,
    "http.response.body.size": 512,
}


def test_old_conventions_server_span() -> None:
    entity = one(server(ASGI_OLD))
    assert entity["http"] == {
        "request": {
            "method": "GET",
            "url": "http://127.0.0.1:8000/items/42?q=1",
            "user_agent": "curl/8.0",
            "client_ip": "10.0.0.7",
        },
        "response": {"status": 200, "content_length": 512},
    }
    # Consumed attributes leave metadata; the others stay.
    assert entity["metadata"]["default"]["http.flavor"] == "1.1"
    assert entity["metadata"]["default"]["http.route"] == "/items/{id}"
    assert "http.method" not in entity["metadata"]["default"]
    assert "net.peer.port" not in entity["metadata"]["default"]


def test_stable_conventions_server_span_rebuilds_the_url() -> None:
    entity = one(server(ASGI_STABLE))
    assert entity["http"] == {
        "request": {
            "method": "GET",
            "url": "https://shop.example.com:8443/items/42?q=1",
            "user_agent": "curl/8.0",
            "client_ip": "10.0.0.7",
        },
        "response": {"status": 200, "content_length": 512},
    }
    assert entity["metadata"]["default"]["network.peer.port"] == 51234


def test_server_url_rebuilt_from_old_parts_without_default_port() -> None:
    attributes = {
        "http.method": "GET",
        "http.scheme": "https",
        "http.server_name": "api.example.com",
        "net.host.port": 443,
        "http.target": "/v1/x",
    }
    assert one(server(attributes))["http"]["request"]["url"] == "https://api.example.com/v1/x"


def test_server_url_prefers_http_host_and_ignores_the_port_then() -> None:
    attributes = {"http.method": "GET", "http.host": "h:8080", "net.host.port": 9999}
    assert one(server(attributes))["http"]["request"]["url"] == "http://h:8080/"


def test_server_url_from_stable_parts_with_query_already_prefixed() -> None:
    attributes = {
        "http.request.method": "GET",
        "server.address": "h",
        "url.path": "/p",
        "url.query": "?a=b",
    }
    assert one(server(attributes))["http"]["request"]["url"] == "http://h/p?a=b"


def test_no_url_without_a_host() -> None:
    entity = one(server({"http.method": "GET", "http.target": "/only/path"}))
    assert "url" not in entity["http"]["request"]


def test_full_url_attribute_wins() -> None:
    attributes = {"url.full": "https://x.example/a", "server.address": "other", "url.path": "/b"}
    assert one(server(attributes))["http"]["request"]["url"] == "https://x.example/a"


def test_client_url_from_peer_name_and_port() -> None:
    attributes = {"http.method": "GET", "net.peer.name": "db.local", "net.peer.port": 8080}
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["http"]["request"]["url"] == "http://db.local:8080/"


def test_client_url_from_server_address_and_port() -> None:
    attributes = {
        "http.request.method": "PUT",
        "server.address": "api.example.com",
        "server.port": 8443,
        "url.scheme": "https",
        "url.path": "/v1",
    }
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["http"]["request"] == {
        "method": "PUT",
        "url": "https://api.example.com:8443/v1",
    }


def test_client_span_with_full_url() -> None:
    attributes = {
        "http.request.method": "GET",
        "url.full": "https://api.example.com/v1?a=1",
        "http.response.status_code": 204,
    }
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["http"] == {
        "request": {"method": "GET", "url": "https://api.example.com/v1?a=1"},
        "response": {"status": 204},
    }


def test_http_client_ip_is_forwarded() -> None:
    attributes = {"http.method": "GET", "http.client_ip": "203.0.113.9", "net.peer.ip": "10.0.0.1"}
    request = one(server(attributes))["http"]["request"]
    assert request["client_ip"] == "203.0.113.9"
    assert request["x_forwarded_for"] is True


def test_client_address_differing_from_the_peer_is_forwarded() -> None:
    attributes = {
        "http.request.method": "GET",
        "client.address": "203.0.113.9",
        "network.peer.address": "10.0.0.1",
    }
    request = one(server(attributes))["http"]["request"]
    assert request["client_ip"] == "203.0.113.9"
    assert request["x_forwarded_for"] is True


def test_client_address_equal_to_the_peer_is_not_forwarded() -> None:
    attributes = {
        "http.request.method": "GET",
        "client.address": "10.0.0.1",
        "network.peer.address": "10.0.0.1",
    }
    request = one(server(attributes))["http"]["request"]
    assert request["client_ip"] == "10.0.0.1"
    assert "x_forwarded_for" not in request


def test_client_address_without_peer_is_forwarded() -> None:
    request = one(server({"http.request.method": "GET", "client.address": "2001:db8::1"}))["http"][
        "request"
    ]
    assert request == {"method": "GET", "client_ip": "2001:db8::1", "x_forwarded_for": True}


def test_client_address_that_is_not_an_ip_is_not_a_client_ip() -> None:
    attributes = {
        "http.request.method": "GET",
        "client.address": "unix:/run/app.sock",
        "network.peer.address": "10.0.0.1",
    }
    request = one(server(attributes))["http"]["request"]
    assert request["client_ip"] == "10.0.0.1"
    assert "x_forwarded_for" not in request


def test_non_standard_method_keeps_the_original() -> None:
    attributes = {"http.request.method": "_OTHER", "http.method": "PURGE"}
    assert one(server(attributes))["http"]["request"]["method"] == "PURGE"


def test_content_length_from_received_message_events() -> None:
    event = Event(
        "message",
        {"message.type": "RECEIVED", "messaging.message_payload_size_bytes": 77},
    )
    entity = one(child({"http.method": "POST"}, kind=SpanKind.CLIENT, events=[event]))
    assert entity["http"]["response"] == {"content_length": 77}


def test_status_code_as_a_string() -> None:
    assert one(server({"http.status_code": "503"}))["http"]["response"]["status"] == 503


def test_address_attributes_of_non_http_spans_stay_in_metadata() -> None:
    attributes = {"net.peer.name": "cache", "server.address": "cache", "server.port": 6379}
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert "http" not in entity
    assert entity["metadata"]["default"] == attributes


# Flags (collector cause.go, SPEC §5).


def test_4xx_is_an_error() -> None:
    entity = one(server({"http.status_code": 404}))
    assert entity["error"] is True
    assert "fault" not in entity
    assert "throttle" not in entity


def test_429_is_an_error_and_a_throttle() -> None:
    entity = one(server({"http.response.status_code": 429}))
    assert entity["error"] is True
    assert entity["throttle"] is True
    assert "fault" not in entity


def test_5xx_is_a_fault_whatever_the_span_status() -> None:
    entity = one(server({"http.status_code": 502}))
    assert entity["fault"] is True
    assert "error" not in entity


def test_4xx_with_error_status_is_an_error_not_a_fault() -> None:
    entity = one(server({"http.status_code": 400}, status=Status(StatusCode.ERROR)))
    assert entity["error"] is True
    assert "fault" not in entity


def test_error_status_without_http_is_a_fault() -> None:
    entity = one(child(status=Status(StatusCode.ERROR)))
    assert entity["fault"] is True
    assert "error" not in entity


def test_error_status_with_2xx_is_a_fault() -> None:
    entity = one(server({"http.status_code": 200}, status=Status(StatusCode.ERROR)))
    assert entity["fault"] is True


def test_success_sets_no_flag() -> None:
    entity = one(server({"http.status_code": 200}, status=Status(StatusCode.OK)))
    assert not {"fault", "error", "throttle", "cause"} & set(entity)


def test_client_ip_of_the_middleware_is_kept_as_it_is() -> None:
    # xray_middleware's peer that is no IP literal (Starlette's TestClient): as 1.6.2.
    attributes = {"http.request.method": "GET", "xraysink.client_ip": "testclient"}
    request = one(server(attributes))["http"]["request"]
    assert request == {"method": "GET", "client_ip": "testclient"}
    assert "xraysink.client_ip" not in one(server(attributes)).get("metadata", {}).get(
        "default", {}
    )


def test_an_address_attribute_wins_over_the_middlewares_client_ip() -> None:
    attributes = {
        "http.request.method": "GET",
        "network.peer.address": "10.0.0.1",
        "xraysink.client_ip": "testclient",
    }
    assert one(server(attributes))["http"]["request"]["client_ip"] == "10.0.0.1"


@pytest.mark.parametrize("key", ["http.response.body.size", "http.response_content_length"])
def test_client_content_length_from_the_instrumentations_attribute(key: str) -> None:
    attributes = {"http.request.method": "GET", "url.full": "http://inventory/items", key: 2048}
    entity = one(child(attributes, kind=SpanKind.CLIENT))
    assert entity["http"]["response"] == {"content_length": 2048}
    assert key not in entity.get("metadata", {}).get("default", {})
