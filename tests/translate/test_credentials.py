"""Captured headers that carry credentials never reach a document (issue 4 §5)."""

from __future__ import annotations

import orjson
import pytest
from opentelemetry.trace import Link

from tests.translate.helpers import check, child, context, one, server
from xraysink.translate.credentials import is_credential_header

SECRET = "s3cr3t-value"
CREDENTIAL_ATTRIBUTES = {
    "http.request.header.authorization": ("Bearer " + SECRET,),
    "http.request.header.proxy_authorization": ("Basic " + SECRET,),
    "http.request.header.cookie": ("session=" + SECRET,),
    "http.response.header.set_cookie": ("id=" + SECRET + "; HttpOnly",),
    "http.request.header.x_api_key": (SECRET,),
    "http.request.header.x_amz_security_token": (SECRET,),
    "http.request.header.X-Auth-Token": (SECRET,),
    "http.request.header.x_my_service_password": (SECRET,),
}
KEPT = {"http.request.header.accept": ("application/json",), "http.route": "/items/{id}"}


def _document(**options: object) -> str:
    entity = one(
        server(
            {"http.request.method": "GET", **CREDENTIAL_ATTRIBUTES, **KEPT},
            links=[Link(context(0x1), {"http.request.header.cookie": SECRET, "kept": 1})],
        ),
        **options,
    )
    check(entity)
    return orjson.dumps(entity).decode()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"index_all_attributes": True},
        {"indexed_attributes": frozenset(CREDENTIAL_ATTRIBUTES)},
    ],
    ids=["default", "index_all", "indexed"],
)
def test_credential_headers_are_never_recorded(options: dict[str, object]) -> None:
    document = _document(**options)
    assert SECRET not in document
    for key in CREDENTIAL_ATTRIBUTES:
        assert key not in document
    assert "http.request.header.accept" in document or "http_request_header_accept" in document
    assert '"kept":1' in document


def test_listing_a_credential_header_as_an_annotation_does_not_record_it() -> None:
    attributes = {
        "aws.xray.annotations": ("http.request.header.authorization",),
        "http.request.header.authorization": (SECRET,),
        "tenant": "acme",
    }
    entity = one(child(attributes))
    assert SECRET not in orjson.dumps(entity).decode()
    assert entity["metadata"] == {"default": {"tenant": "acme"}}


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("http.request.header.authorization", True),
        ("http.response.header.set_cookie", True),
        ("http.request.header.Set-Cookie", True),
        ("http.request.header.x_csrf_token", True),
        ("http.request.header.x_client_secret", True),
        ("http.request.header.user_agent", False),
        ("http.request.header.accept", False),
        ("authorization", False),
        ("http.request.method", False),
        (42, False),
    ],
)
def test_credential_rule(key: object, credential: bool) -> None:
    assert is_credential_header(key) is credential
