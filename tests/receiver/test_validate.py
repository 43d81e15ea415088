"""What X-Ray accepts (SPEC §6), rule by rule, valid and invalid."""

from __future__ import annotations

import json
from typing import Any

import pytest

from xraysink.receiver.protocol import parse_datagram
from xraysink.receiver.validate import validate_document

TRACE_ID = "1-5f0a1b2c-0123456789abcdef01234567"


def segment(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "checkout",
        "id": "0123456789abcdef",
        "trace_id": TRACE_ID,
        "start_time": 1_700_000_000.25,
        "end_time": 1_700_000_000.5,
    }
    doc.update(fields)
    return {key: value for key, value in doc.items() if value is not DROP}


def independent(**fields: Any) -> dict[str, Any]:
    return segment(**{"type": "subsegment", "parent_id": "fedcba9876543210", **fields})


def embedded(**fields: Any) -> dict[str, Any]:
    child: dict[str, Any] = {
        "name": "db",
        "id": "1111111111111111",
        "start_time": 1_700_000_000.3,
        "end_time": 1_700_000_000.4,
    }
    child.update(fields)
    return {key: value for key, value in child.items() if value is not DROP}


DROP = object()


def only(doc: dict[str, Any]) -> str:
    problems = validate_document(doc)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_full_segment_with_embedded_subsegments_is_valid() -> None:
    doc = segment(
        http={"request": {"method": "GET", "url": "http://x/"}, "response": {"status": 200}},
        annotations={"user": "alice", "count": 3, "ratio": 0.5, "cached": False},
        metadata={"default": {"anything": [1, {"goes": None}]}},
        subsegments=[embedded(namespace="remote", subsegments=[embedded(id="2" * 16)])],
    )
    assert validate_document(doc) == []


def test_an_independent_subsegment_is_valid() -> None:
    assert validate_document(independent(namespace="aws")) == []


def test_a_document_must_be_an_object() -> None:
    assert validate_document([segment()]) == ["document: must be a JSON object, got array"]  # type: ignore[arg-type]


# -- name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "x" * 200,
        "GET /orders/42",
        "svc_1.example.com:8080/path%20&#=+\\-@",
        "with spaces\tand tab",
        "café 東京 ١٢٣",
    ],
)
def test_names_x_ray_accepts(name: str) -> None:
    assert validate_document(segment(name=name)) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "name: must be 1 to 200 characters, got 0"),
        ("x" * 201, "name: must be 1 to 200 characters, got 201"),
        ("a!b?", "name: characters not allowed: '!' '?'"),
        ("GET /items/{id}", "name: characters not allowed: '{' '}'"),
        ('quote"d', "name: characters not allowed: '\"'"),
        (12, "name: must be a string, got int"),
        (DROP, "name: required"),
    ],
)
def test_names_x_ray_rejects(name: object, message: str) -> None:
    assert only(segment(name=name)).startswith(message)


# -- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0123456789abcde", "id: must be 16 lowercase hex digits, got '0123456789abcde'"),
        ("0123456789abcdef0", "id: must be 16 lowercase hex digits"),
        ("0123456789ABCDEF", "id: must be 16 lowercase hex digits"),
        ("0123456789abcdeg", "id: must be 16 lowercase hex digits"),
        ("0123456789abcde\n", "id: must be 16 lowercase hex digits"),
        (123, "id: must be 16 lowercase hex digits, got 123"),
        (DROP, "id: required"),
    ],
)
def test_ids_x_ray_rejects(value: object, message: str) -> None:
    assert only(segment(id=value)).startswith(message)


@pytest.mark.parametrize(
    "value",
    [
        "1-5f0a1b2c-0123456789abcdef0123456",
        "2-5f0a1b2c-0123456789abcdef01234567",
        "1-5F0A1B2C-0123456789abcdef01234567",
        "1-5f0a1b2c0123456789abcdef01234567",
        "5f0a1b2c0123456789abcdef01234567",
        DROP,
    ],
)
def test_trace_ids_x_ray_rejects(value: object) -> None:
    assert only(segment(trace_id=value)).startswith("trace_id: ")


def test_embedded_subsegments_need_no_trace_id_but_a_given_one_must_be_valid() -> None:
    assert validate_document(segment(subsegments=[embedded(trace_id=TRACE_ID)])) == []
    assert only(segment(subsegments=[embedded(trace_id="1-x")])).startswith(
        "subsegments[0].trace_id: must be 1-<8 lowercase hex>-<24 lowercase hex>"
    )


def test_a_segment_may_name_its_upstream_parent() -> None:
    assert validate_document(segment(parent_id="fedcba9876543210")) == []
    assert only(segment(parent_id="nope")).startswith("parent_id: must be 16 lowercase hex")


def test_an_independent_subsegment_needs_trace_id_and_parent_id() -> None:
    assert only(independent(parent_id=DROP)) == "parent_id: required"
    assert only(independent(trace_id=DROP)) == "trace_id: required"
    assert only(independent(parent_id="FEDCBA9876543210")).startswith("parent_id: must be")


def test_type_other_than_subsegment_is_rejected() -> None:
    assert only(segment(type="segment")) == (
        "type: must be \"subsegment\" when present, got 'segment'"
    )


# -- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"start_time": 10, "end_time": 11},
        {"start_time": 10.5, "end_time": 10.5},
        {"start_time": 10.0, "end_time": DROP, "in_progress": True},
        {"start_time": 10.0, "end_time": 11.0, "in_progress": False},
    ],
)
def test_times_x_ray_accepts(fields: dict[str, Any]) -> None:
    assert validate_document(segment(**fields)) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_time": DROP}, "start_time: required"),
        ({"start_time": "10"}, "start_time: must be a number of seconds, got '10'"),
        ({"start_time": True}, "start_time: must be a number of seconds, got True"),
        ({"end_time": DROP}, "end_time: required unless in_progress is true"),
        ({"end_time": DROP, "in_progress": False}, "end_time: required unless in_progress is true"),
        ({"end_time": None}, "end_time: must be a number of seconds, got None"),
        ({"start_time": 11.0, "end_time": 10.0}, "end_time: 10.0 is before start_time 11.0"),
    ],
)
def test_times_x_ray_rejects(fields: dict[str, Any], message: str) -> None:
    assert only(segment(**fields)) == message


def test_in_progress_must_be_a_boolean() -> None:
    assert only(segment(in_progress="yes")) == "in_progress: must be true or false, got 'yes'"


# -- annotations -----------------------------------------------------------------------


def test_fifty_annotations_of_every_allowed_type_are_accepted() -> None:
    values: list[object] = ["s", 1, 2.5, True, False, -3, ""]
    annotations = {f"key_{i}.x": values[i % len(values)] for i in range(50)}
    annotations["K" * 500] = annotations.pop("key_0.x")
    assert validate_document(segment(annotations=annotations)) == []


def test_fifty_one_annotations_are_too_many() -> None:
    annotations = {f"k{i}": i for i in range(51)}
    assert only(segment(annotations=annotations)) == "annotations: 51 annotations, at most 50"


@pytest.mark.parametrize("key", ["", "a-b", "with space", "é", "k" * 501])
def test_annotation_keys_x_ray_rejects(key: str) -> None:
    assert "key must be 1 to 500 of A-Z a-z 0-9 _ ." in only(segment(annotations={key: 1}))


@pytest.mark.parametrize(("value", "kind"), [(None, "null"), ([1], "array"), ({"a": 1}, "object")])
def test_annotation_values_x_ray_rejects(value: object, kind: str) -> None:
    assert only(segment(annotations={"user": value})) == (
        f"annotations.user: value must be a string, number or boolean, got {kind}"
    )


def test_annotations_must_be_an_object() -> None:
    assert only(segment(annotations=["user"])) == "annotations: must be a JSON object"


# -- namespace --------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["aws", "remote", "local"])
def test_namespaces_x_ray_accepts(namespace: str) -> None:
    assert validate_document(segment(subsegments=[embedded(namespace=namespace)])) == []


@pytest.mark.parametrize("namespace", ["AWS", "custom", "", 1])
def test_namespaces_x_ray_rejects(namespace: object) -> None:
    assert only(segment(subsegments=[embedded(namespace=namespace)])).startswith(
        "subsegments[0].namespace: must be aws, remote or local"
    )


# -- NaN / Infinity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (segment(end_time=float("nan")), "end_time: nan is not valid JSON"),
        (segment(annotations={"x": float("inf")}), "annotations.x: inf is not valid JSON"),
        (
            segment(metadata={"default": {"bad key": [0, float("-inf")]}}),
            "metadata.default['bad key'][1]: -inf is not valid JSON",
        ),
    ],
)
def test_non_finite_numbers_are_rejected_wherever_they_are(
    doc: dict[str, Any], message: str
) -> None:
    assert message in validate_document(doc)


def test_python_json_would_accept_nan_but_the_wire_parser_does_not() -> None:
    # The stdlib's default would decode this; X-Ray would not.
    assert json.loads('{"start_time": NaN}')
    with pytest.raises(ValueError, match="NaN"):
        parse_datagram(b'{"format":"json","version":1}\n{"start_time": NaN}')


# -- size ---------------------------------------------------------------------------------


def sized(total: int) -> dict[str, Any]:
    base = len(json.dumps(segment(metadata=""), separators=(",", ":")))
    doc = segment(metadata="m" * (total - base))
    assert len(json.dumps(doc, separators=(",", ":"))) == total
    return doc


def test_a_document_of_64_kib_is_accepted() -> None:
    assert validate_document(sized(65_536)) == []


def test_a_document_over_64_kib_is_rejected() -> None:
    expected = "document: 65,537 bytes, over X-Ray's limit of 64 KiB (65,536)"
    assert only(sized(65_537)) == expected


def test_size_counts_utf8_bytes_not_characters() -> None:
    doc = sized(65_536)
    doc["metadata"] = doc["metadata"][:-2] + "é"  # one character, two bytes
    assert validate_document(doc) == []
    doc["metadata"] = doc["metadata"][:-1] + "東"  # one character, three bytes
    assert only(doc).startswith("document: 65,537 bytes")


# -- embedded subsegments and paths ----------------------------------------------------------


def test_each_reason_names_the_path_of_the_offending_entity() -> None:
    doc = segment(
        subsegments=[
            embedded(),
            embedded(id="2222222222222222"),
            embedded(
                name="bad!",
                subsegments=[embedded(id="x", annotations={"a-b": 1}), embedded(end_time=DROP)],
            ),
        ]
    )
    problems = validate_document(doc)
    assert problems[0].startswith("subsegments[2].name: characters not allowed: '!'")
    assert problems[1:] == [
        "subsegments[2].subsegments[0].id: must be 16 lowercase hex digits, got 'x'",
        "subsegments[2].subsegments[0].annotations['a-b']: key must be 1 to 500 of A-Z a-z 0-9 _ .",
        "subsegments[2].subsegments[1].end_time: required unless in_progress is true",
    ]


def test_subsegments_must_be_a_list_of_objects() -> None:
    assert only(segment(subsegments={"a": 1})) == "subsegments: must be a list of subsegments"
    assert only(segment(subsegments=[embedded(), "db"])) == (
        "subsegments[1]: must be a JSON object"
    )


def test_embedded_subsegments_need_their_own_name_id_and_times() -> None:
    problems = validate_document(segment(subsegments=[{}]))
    assert problems == [
        "subsegments[0].name: required",
        "subsegments[0].id: required",
        "subsegments[0].start_time: required",
        "subsegments[0].end_time: required unless in_progress is true",
    ]


def test_long_bad_values_are_quoted_shortened() -> None:
    [problem] = validate_document(segment(id="z" * 5000))
    assert problem.startswith("id: must be 16 lowercase hex digits, got 'zzz")
    assert "..." in problem
    assert len(problem) < 200
