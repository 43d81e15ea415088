"""Local sampling rules in the X-Ray SDK's JSON format, as an OpenTelemetry sampler.

The format (X-Ray SDK for Python ``LocalSampler``; version 1 names ``host``
``service_name``)::

    {"version": 2,
     "rules": [{"description": "Player moves.", "host": "*", "http_method": "*",
                "url_path": "/api/move/*", "fixed_target": 0, "rate": 0.05}],
     "default": {"fixed_target": 1, "rate": 0.1}}

Rules apply in the order given, the first match deciding; the default applies to the
rest. ``fixed_target`` traces a second are sampled, then ``rate`` of the others. With
no rules given, the X-Ray default holds: one trace a second plus 5 % of the rest.
Local decisions record no rule name, as in the X-Ray SDK.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from xraysink.sampling._rules import (
    ResourceFacts,
    RuleSet,
    SamplingRule,
    decide,
    local_parent_result,
)

DEFAULT_LOCAL_RULES: Mapping[str, Any] = {
    "version": 2,
    "rules": [],
    "default": {"fixed_target": 1, "rate": 0.05},
}
"""The X-Ray SDK's default: one trace a second, then 5 % of the others."""

_VERSIONS = {1: "service_name", 2: "host"}


def _number(rule: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value: Any = rule.get(key)
    if type(value) is int and kind is float:
        value = float(value)
    highest = 1.0 if kind is float else float("inf")
    typed = type(value) is kind
    if not typed or not 0 <= value <= highest:
        limit = "0..1" if kind is float else ">= 0"
        raise ValueError(f"local sampling rules: {where}: {key} must be a {kind.__name__} {limit}")
    return value


def _patterns(rule: Mapping[str, Any], host_key: str, where: str) -> tuple[str, str, str]:
    values = tuple(rule.get(key) for key in (host_key, "http_method", "url_path"))
    if not all(type(value) is str and value for value in values):
        raise ValueError(
            f"local sampling rules: {where}: {host_key}, http_method and url_path "
            "must be non-empty strings"
        )
    return values  # type: ignore[return-value]


def parse_local_rules(document: Mapping[str, Any]) -> tuple[list[SamplingRule], list[int]]:
    """The rules of a local rules document, its default last, and their fixed targets.

    Raises ``ValueError`` saying what is wrong: an unsupported ``version``, no
    ``default``, a rule missing ``host``/``http_method``/``url_path`` (the default must
    have none), a negative ``fixed_target`` or a ``rate`` outside 0..1.
    """
    if not isinstance(document, Mapping):
        raise ValueError("local sampling rules must be a JSON object")
    host_key = _VERSIONS.get(document.get("version"))  # type: ignore[arg-type]
    if host_key is None:
        raise ValueError(
            f"local sampling rules: version must be 1 or 2, got {document.get('version')!r}"
        )
    default = document.get("default")
    if not isinstance(default, Mapping):
        raise ValueError("local sampling rules: a default rule is required")
    if any(key in default for key in (host_key, "http_method", "url_path")):
        raise ValueError(
            f"local sampling rules: the default rule takes no {host_key}, http_method or url_path"
        )
    listed = document.get("rules", [])
    if not isinstance(listed, Sequence) or isinstance(listed, str):
        raise ValueError("local sampling rules: rules must be a list")
    rules: list[SamplingRule] = []
    targets: list[int] = []
    for index, rule in enumerate([*listed, default]):
        where = "default" if index == len(listed) else f"rule {index}"
        if not isinstance(rule, Mapping):
            raise ValueError(f"local sampling rules: {where} must be a JSON object")
        host, method, path = (
            ("*", "*", "*") if where == "default" else _patterns(rule, host_key, where)
        )
        targets.append(_number(rule, "fixed_target", int, where))
        rules.append(
            SamplingRule(
                name=None,
                priority=index,
                fixed_rate=_number(rule, "rate", float, where),
                reservoir_size=0,
                host=host,
                http_method=method,
                url_path=path,
            )
        )
    return rules, targets


def load_local_rules(
    rules: str | os.PathLike[str] | Mapping[str, Any] | None, resource: Resource | None = None
) -> RuleSet:
    """A ``RuleSet`` of local rules from a JSON file path or an already decoded document
    (None: ``DEFAULT_LOCAL_RULES``). Raises ``ValueError`` for a bad document and
    ``OSError`` for an unreadable file."""
    if rules is None:
        document: Any = DEFAULT_LOCAL_RULES
    elif isinstance(rules, Mapping):
        document = rules
    else:
        with open(rules, encoding="utf-8") as file:
            try:
                document = json.load(file)
            except ValueError as error:
                raise ValueError(f"local sampling rules {os.fspath(rules)!r}: {error}") from None
    parsed, targets = parse_local_rules(document)
    return RuleSet(parsed, ResourceFacts(resource), quotas=dict(enumerate(targets)))


class XRayLocalSampler(Sampler):
    """Root sampling by local rules in the X-Ray SDK's format (see the module docstring).

    ``rules``: a JSON file path, a decoded document, or None for the X-Ray default (one a
    second plus 5 %). A local parent's decision is followed; any other span is decided
    by the rules (its start attributes give method, path and host). Raises
    ``ValueError``/``OSError`` as ``load_local_rules``.
    """

    def __init__(self, rules: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> None:
        self.rules = load_local_rules(rules)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        followed, trace_state = local_parent_result(parent_context, attributes, trace_state)
        if followed is not None:
            return followed
        # The default rule, last, matches every request.
        rule = self.rules.match(attributes) or self.rules.rules[-1]
        return decide(rule, time.time(), trace_id, attributes, trace_state)

    def get_description(self) -> str:
        return f"XRayLocalSampler{{{len(self.rules.rules)} rules}}"
