"""The X-Ray daemon datagram format: header line, newline, one JSON document."""

from __future__ import annotations

import json

import pytest

from tests.documents import HEADER
from xraysink.receiver import protocol
from xraysink.receiver.protocol import DatagramError, parse_datagram

DOC = {"name": "svc", "id": "0123456789abcdef", "start_time": 1.5, "end_time": 2.5}


def body(doc: object = DOC) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def reason_of(data: bytes) -> str:
    with pytest.raises(DatagramError) as caught:
        parse_datagram(data)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(caught.value.reason + ": ")
    return caught.value.reason


def test_a_well_formed_datagram_gives_its_document() -> None:
    assert parse_datagram(HEADER + body()) == DOC


def test_the_sdk_header_constant_is_what_sdks_send() -> None:
    assert protocol.HEADER + b"\n" == HEADER


@pytest.mark.parametrize(
    "header",
    [
        b'{"version":1,"format":"json"}',
        b'{ "format" : "JSON", "version" : 1 }',
        b'{"Format":"json","VERSION":1}',
        b'{"format":"json","version":1,"extra":"ignored"}',
        b'{"format":"json","version":1}\r',
    ],
)
def test_headers_the_daemon_accepts(header: bytes) -> None:
    assert parse_datagram(header + b"\n" + body()) == DOC


@pytest.mark.parametrize(
    "header",
    [
        b'{"format":"json","version":2}',
        b'{"format":"xml","version":1}',
        b'{"format":"json"}',
        b'{"version":1}',
        b'{"format":"json","version":"1"}',
        b'{"format":"json","version":1.0}',
        b'{"format":"json","version":true}',
        b'[["format","json"],["version",1]]',
        b"format=json version=1",
        b"",
    ],
)
def test_headers_the_daemon_rejects(header: bytes) -> None:
    assert reason_of(header + b"\n" + body()) == protocol.BAD_HEADER


def test_a_document_without_a_header_line_is_rejected() -> None:
    assert reason_of(body()) == protocol.MISSING_HEADER


def test_a_document_on_the_header_line_is_a_bad_header() -> None:
    # A document sent with a trailing newline but no header: the document is read as
    # the header, as the daemon does.
    assert reason_of(body() + b"\n" + body()) == protocol.BAD_HEADER


@pytest.mark.parametrize("rest", [b"", b"  \n"])
def test_a_header_with_no_document_is_rejected(rest: bytes) -> None:
    assert reason_of(HEADER + rest) == protocol.MISSING_DOCUMENT


@pytest.mark.parametrize(
    "document",
    [b'{"name":"svc"', b"{'name':'svc'}", b'{"name":"svc"} trailing', b'{"a":1,}'],
)
def test_bad_json_is_rejected(document: bytes) -> None:
    assert reason_of(HEADER + document) == protocol.NOT_JSON


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_are_not_json(constant: bytes) -> None:
    with pytest.raises(DatagramError) as caught:
        parse_datagram(HEADER + b'{"name":"svc","start_time":' + constant + b"}")
    assert caught.value.reason == protocol.NOT_JSON
    assert constant.decode() in str(caught.value)


def test_deep_nesting_is_rejected_not_crashing() -> None:
    assert reason_of(HEADER + b"[" * 50_000) == protocol.NOT_JSON


@pytest.mark.parametrize("document", [b"[1,2]", b'"svc"', b"null", b"42"])
def test_a_document_must_be_an_object(document: bytes) -> None:
    assert reason_of(HEADER + document) == protocol.NOT_OBJECT


def test_a_document_must_be_utf8() -> None:
    assert reason_of(HEADER + b'{"name":"\xff"}') == protocol.NOT_UTF8


def padded(total: int) -> bytes:
    skeleton = HEADER + body({**DOC, "metadata": ""})
    filler = "x" * (total - len(skeleton))
    data = HEADER + body({**DOC, "metadata": filler})
    assert len(data) == total
    return data


def test_a_datagram_of_exactly_the_udp_limit_is_read() -> None:
    assert parse_datagram(padded(65_507))["name"] == "svc"


def test_a_datagram_over_the_udp_limit_is_rejected() -> None:
    with pytest.raises(DatagramError) as caught:
        parse_datagram(padded(65_508))
    assert caught.value.reason == protocol.TOO_LARGE
    assert "65,508" in str(caught.value)
