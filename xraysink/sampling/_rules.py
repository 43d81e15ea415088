"""Sampling rules: which rule a new trace falls under, and that rule's reservoir and rate.

Sources: the X-Ray ``SamplingRule`` and ``SamplingTargetDocument`` API shapes, the
X-Ray SDK for Python (``aws_xray_sdk.core.sampling``) and ADOT Python's X-Ray remote
sampler. As both SDKs do:

- rules are tried by ``Priority``, then ``RuleName``; the first one that matches decides;
- patterns are case-insensitive, ``*`` matches any run of characters and ``?`` one;
- a rule's reservoir lets ``ReservoirQuota`` traces a second through while its
  ``ReservoirQuotaTTL`` lasts; before the first target arrives (or after it expired) a
  rule with a ``ReservoirSize`` above 0 borrows one trace a second; past the
  reservoir, ``FixedRate`` of the traces are sampled;
- statistics count matched requests, sampled traces (taken from the reservoir or by
  the fixed rate) and borrowed traces, as the X-Ray SDK reports them.

As ADOT's sampler does (the X-Ray SDK passes over such rules): ``ResourceARN`` and
``Attributes`` are matched, and a value the span does not carry is matched by ``*``
alone (a missing URL path counts as ``/``). The fixed rate is applied to the low 64
bits of the trace id, as OpenTelemetry's ``TraceIdRatioBased`` does, so a trace id
gets the same decision wherever the same rate applies.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import methodcaller
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.context import Context, get_current
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import Decision, SamplingResult
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from xraysink._types import (
    IS_REMOTE,
    IS_VALID,
    SAMPLING_RULE_ATTRIBUTE,
    TRACE_FLAGS,
    TRACE_STATE,
)
from xraysink.propagation.keys import SPAN_KEY, span_context_of

RULE_NAME_ATTRIBUTE = SAMPLING_RULE_ATTRIBUTE
"""Span attribute naming the sampling rule that sampled a new trace; the translator
writes it as the segment's ``aws.xray.sampling_rule_name`` (X-Ray SDK
``Segment.set_rule_name``)."""

#: ``cloud.platform`` resource values -> X-Ray service types (ADOT's mapping).
SERVICE_TYPES = {
    "aws_lambda": "AWS::Lambda::Function",
    "aws_elastic_beanstalk": "AWS::ElasticBeanstalk::Environment",
    "aws_ec2": "AWS::EC2::Instance",
    "aws_ecs": "AWS::ECS::Container",
    "aws_eks": "AWS::EKS::Container",
}

_MASK_64 = (1 << 64) - 1
_NO = 0
_TAKE = 1
_BORROW = 2

Matcher = Callable[[str], Any]
_Attributes = tuple[tuple[str, Matcher | None], ...]
_Row = tuple[
    "ActiveRule", Matcher | None, Matcher | None, Matcher | None, Matcher | None, _Attributes
]


@dataclass(frozen=True)
class SamplingRule:
    """One sampling rule, with the X-Ray API's ``SamplingRule`` fields.

    ``attributes`` are (span attribute key, pattern) pairs, sorted. ``name`` is None for
    a local rule (the X-Ray SDK records no rule name for those).
    """

    name: str | None
    priority: int
    fixed_rate: float
    reservoir_size: int
    service_name: str = "*"
    service_type: str = "*"
    host: str = "*"
    http_method: str = "*"
    url_path: str = "*"
    resource_arn: str = "*"
    attributes: tuple[tuple[str, str], ...] = ()


def _field(record: Mapping[str, Any], key: str, kind: type, default: Any = None) -> Any:
    value = record.get(key, default)
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        name = record.get("RuleName", "?")
        raise ValueError(f"sampling rule {name!r}: {key} must be {kind.__name__}, got {value!r}")
    return value


def rule_from_api(record: Mapping[str, Any]) -> SamplingRule:
    """A ``SamplingRule`` object of the X-Ray API (``RuleName``, ``Priority``,
    ``FixedRate``, ``ReservoirSize`` required; ``ServiceName``, ``ServiceType``, ``Host``,
    ``HTTPMethod``, ``URLPath``, ``ResourceARN`` default to ``*``, ``Attributes`` to none,
    ``Version`` to 1) as a ``SamplingRule``.

    Raises ``ValueError`` naming the field for a missing or mistyped one, a rate outside
    0..1, a negative reservoir or a ``Version`` other than 1 (the only one either SDK
    applies).
    """
    if not isinstance(record, Mapping):
        raise ValueError(f"a sampling rule must be a JSON object, got {record!r}")
    name = _field(record, "RuleName", str)
    if not name:
        raise ValueError("sampling rule: RuleName must not be empty")
    version = _field(record, "Version", int, 1)
    if version != 1:
        raise ValueError(f"sampling rule {name!r}: Version {version} is not supported (1 is)")
    rate = _field(record, "FixedRate", float)
    reservoir = _field(record, "ReservoirSize", int)
    if not 0.0 <= rate <= 1.0 or reservoir < 0:
        raise ValueError(f"sampling rule {name!r}: FixedRate must be 0..1, ReservoirSize >= 0")
    attributes = record.get("Attributes") or {}
    if not isinstance(attributes, Mapping) or not all(
        type(key) is str and type(value) is str for key, value in attributes.items()
    ):
        raise ValueError(f"sampling rule {name!r}: Attributes must map strings to strings")
    return SamplingRule(
        name=name,
        priority=_field(record, "Priority", int),
        fixed_rate=rate,
        reservoir_size=reservoir,
        service_name=_field(record, "ServiceName", str, "*"),
        service_type=_field(record, "ServiceType", str, "*"),
        host=_field(record, "Host", str, "*"),
        http_method=_field(record, "HTTPMethod", str, "*"),
        url_path=_field(record, "URLPath", str, "*"),
        resource_arn=_field(record, "ResourceARN", str, "*"),
        attributes=tuple(sorted(attributes.items())),
    )


def compile_pattern(pattern: str) -> Matcher | None:
    """A matcher of X-Ray's ``*``/``?`` wildcard ``pattern`` for text already lowercased
    (matching is case-insensitive), or None for a pattern of ``*`` alone, which matches
    anything, a missing value too. Plain, ``prefix*``, ``*suffix`` and ``*part*``
    patterns become a string method (no regular expression to run)."""
    if pattern and not pattern.strip("*"):
        return None
    lowered = pattern.lower()
    inner = lowered.strip("*")
    if "*" not in inner and "?" not in inner:
        if lowered == inner:
            return inner.__eq__
        if lowered == inner + "*" * (len(lowered) - len(inner)):
            return methodcaller("startswith", inner)
        if lowered == "*" * (len(lowered) - len(inner)) + inner:
            return methodcaller("endswith", inner)
        return methodcaller("__contains__", inner)
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in lowered
    )
    return re.compile(regex, re.DOTALL).fullmatch


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return str(value)


def _lowered(value: Any) -> str | None:
    if type(value) is str:
        return value.lower()
    return None if value is None else str(value).lower()


def request_fields(
    attributes: Mapping[str, Any] | None, method: bool = True, host: bool = True
) -> tuple[str | None, str, str | None]:
    """``(method, path, host)``, lowercased, from a span's start attributes: stable HTTP
    semantic conventions first (``http.request.method``, ``url.path``, ``url.full``,
    ``server.address``), then the old ones (``http.method``, ``http.target``,
    ``http.url``, ``http.host``, ``net.host.name``). The path leaves out the query; with
    no path nor URL it is ``/`` (ADOT). ``method``/``host`` False: not read (None)."""
    if not attributes:
        return None, "/", None
    get = attributes.get
    path = get("url.path")
    if path is None:
        target = get("http.target")
        if type(target) is str:
            path = target.partition("?")[0]
        else:
            url = get("url.full") or get("http.url")
            path = "/"
            if type(url) is str and "://" in url:
                with contextlib.suppress(ValueError):
                    path = urlsplit(url).path or "/"
    # str first, inline: the per-decision cost of a helper call shows in the benchmark.
    path = path.lower() if type(path) is str else _lowered(path) or "/"
    found: Any = None
    if method:
        found = get("http.request.method") or get("http.method")
        found = found.lower() if type(found) is str else _lowered(found)
    if not host:
        return found, path, None
    address = get("server.address") or get("http.host") or get("net.host.name")
    return found, path, address.lower() if type(address) is str else _lowered(address)


class ResourceFacts:
    """What rules match on that a Resource gives: ``service.name``, the service type
    from ``cloud.platform`` (``SERVICE_TYPES``) and the resource ARN (ECS container
    ARN; for Lambda ``cloud.resource_id`` or ``faas.id``). ``arn`` is None when it must
    be read from each span's attributes (Lambda with no ARN on the Resource)."""

    __slots__ = ("arn", "service_name", "service_type")

    def __init__(self, resource: Resource | None) -> None:
        attributes: Mapping[str, Any] = resource.attributes if resource is not None else {}
        self.service_name = _text(attributes.get("service.name")) or ""
        platform = attributes.get("cloud.platform")
        self.service_type = SERVICE_TYPES.get(platform, "") if type(platform) is str else ""
        is_lambda = platform == "aws_lambda"
        arn = attributes.get("aws.ecs.container.arn")
        if arn is None and is_lambda:
            arn = attributes.get("cloud.resource_id", attributes.get("faas.id"))
        # None: a Lambda function whose ARN only its spans carry.
        self.arn: str | None = _text(arn) if arn is not None else None if is_lambda else ""


def span_arn(attributes: Mapping[str, Any] | None) -> str:
    """The Lambda function ARN that a span's start attributes carry (``cloud.resource_id``,
    else ``faas.id``), or ``""``; for a Resource without ``ResourceFacts.arn``."""
    if attributes:
        arn = attributes.get("cloud.resource_id", attributes.get("faas.id"))
        if arn is not None:
            return str(arn)
    return ""


class ActiveRule:
    """A sampling rule in use: its matchers, reservoir, rate and statistics.

    Thread-safe: ``sample``, ``apply_target`` and ``take_statistics`` hold the rule's
    lock. Times are seconds since the epoch (``ReservoirQuotaTTL`` is one).
    """

    __slots__ = (
        "_arn",
        "_attributes",
        "_borrowed_this_second",
        "_can_borrow",
        "_host",
        "_lock",
        "_method",
        "_path",
        "_quota",
        "_quota_expires",
        "_rate_bound",
        "_second",
        "_taken_this_second",
        "borrowed",
        "interval",
        "name",
        "next_report",
        "requests",
        "rule",
        "sampled",
    )

    def __init__(self, rule: SamplingRule, *, quota: int | None = None) -> None:
        self.rule = rule
        self.name = rule.name
        self._host = compile_pattern(rule.host)
        self._method = compile_pattern(rule.http_method)
        self._path = compile_pattern(rule.url_path)
        self._arn = compile_pattern(rule.resource_arn)
        self._attributes = tuple(
            (key, compile_pattern(pattern)) for key, pattern in rule.attributes
        )
        self._lock = threading.Lock()
        self._rate_bound = _rate_bound(rule.fixed_rate)
        self._can_borrow = rule.reservoir_size > 0
        # A fixed quota (local rules) never expires; a centralized one waits for a target.
        self._quota = quota
        self._quota_expires = math.inf if quota is not None else -math.inf
        self._second = 0
        self._taken_this_second = 0
        self._borrowed_this_second = 0
        self.requests = 0
        self.sampled = 0
        self.borrowed = 0
        # Seconds between statistics reports that a target asked for; None: not yet.
        self.interval: float | None = None
        self.next_report = 0.0

    def applies_to(self, facts: ResourceFacts) -> bool:
        """Whether the rule's service name, service type (and ARN, when the Resource
        fixes it) admit this service."""
        rule = self.rule
        for pattern, value in (
            (rule.service_name, facts.service_name),
            (rule.service_type, facts.service_type),
            (rule.resource_arn, facts.arn),
        ):
            matcher = compile_pattern(pattern)
            if matcher is not None and value is not None and not matcher(value.lower()):
                return False
        return True

    def matchers(self) -> _Row:
        """``(self, path, method, host, arn, attributes)`` matchers, for ``RuleSet``."""
        return self, self._path, self._method, self._host, self._arn, self._attributes

    def sample(self, now: float, trace_id: int) -> bool:
        """Decide one new trace at ``now`` and count it: reservoir first, then the rate."""
        second = int(now)
        with self._lock:
            self.requests += 1
            if second != self._second:
                self._second = second
                self._taken_this_second = 0
                self._borrowed_this_second = 0
            quota = self._quota
            if quota is not None and now <= self._quota_expires:
                if self._taken_this_second < quota:
                    self._taken_this_second += 1
                    self.sampled += 1
                    return True
            elif self._can_borrow and self._borrowed_this_second < 1:
                self._borrowed_this_second += 1
                self.borrowed += 1
                return True
            if (trace_id & _MASK_64) < self._rate_bound:
                self.sampled += 1
                return True
            return False

    def apply_target(
        self,
        fixed_rate: float,
        quota: int | None,
        quota_expires: float | None,
        interval: float | None,
    ) -> None:
        """Apply a ``SamplingTargetDocument``: a missing quota or TTL keeps the
        current one (X-Ray SDK ``Reservoir.load_quota``)."""
        with self._lock:
            self._rate_bound = _rate_bound(fixed_rate)
            if quota is not None:
                self._quota = quota
            if quota_expires is not None:
                self._quota_expires = quota_expires
            if interval is not None:
                self.interval = interval

    def take_statistics(self) -> tuple[int, int, int]:
        """``(requests, sampled, borrowed)`` since the last call, reset to 0."""
        with self._lock:
            counts = self.requests, self.sampled, self.borrowed
            self.requests = self.sampled = self.borrowed = 0
            return counts

    def reset_lock(self) -> None:
        """A fresh lock, for a forked child (a parent's thread may have held it)."""
        self._lock = threading.Lock()

    def carry_over(self, old: ActiveRule) -> None:
        """Keep the reservoir, targets and counts of the rule this one replaces (X-Ray
        SDK ``SamplingRule.merge``): a changed rule keeps what the service assigned."""
        with old._lock:
            self.requests, self.sampled, self.borrowed = old.requests, old.sampled, old.borrowed
            old.requests = old.sampled = old.borrowed = 0
            if old._quota is not None:
                self._quota = old._quota
                self._quota_expires = old._quota_expires
            self.interval = old.interval
            self.next_report = old.next_report


def _rate_bound(rate: float) -> int:
    return min(max(int(rate * (1 << 64)), 0), 1 << 64)


class RuleSet:
    """The rules that can apply to one service, in priority order (then rule name).

    ``previous``: the rule set being replaced; a rule of the same name keeps its
    object when unchanged and its reservoir and counts otherwise.
    """

    __slots__ = ("_by_host", "_by_method", "_table", "facts", "rules")

    def __init__(
        self,
        rules: Iterable[SamplingRule],
        facts: ResourceFacts,
        previous: RuleSet | None = None,
        *,
        quotas: Mapping[int, int] | None = None,
    ) -> None:
        self.facts = facts
        old = {rule.name: rule for rule in previous.rules} if previous is not None else {}
        active: list[ActiveRule] = []
        for index, rule in enumerate(rules):
            kept = old.get(rule.name)
            if kept is not None and kept.rule == rule:
                active.append(kept)
                continue
            candidate = ActiveRule(rule, quota=quotas.get(index) if quotas else None)
            if candidate.applies_to(facts):
                if kept is not None:
                    candidate.carry_over(kept)
                active.append(candidate)
        # Local rules (no name) keep their order: only the position sorts them.
        if all(rule.name is not None for rule in active):
            active.sort(key=lambda rule: (rule.rule.priority, rule.name))
        self.rules: tuple[ActiveRule, ...] = tuple(active)
        self._table: tuple[_Row, ...] = tuple(rule.matchers() for rule in active)
        # Fields no rule looks at are not read from the attributes.
        self._by_method = any(row[2] is not None for row in self._table)
        self._by_host = any(row[3] is not None for row in self._table)

    def match(self, attributes: Mapping[str, Any] | None) -> ActiveRule | None:
        """The first rule matching a span with these start attributes, or None."""
        method, path, host = request_fields(attributes, self._by_method, self._by_host)
        facts = self.facts
        # A Resource's own ARN was checked once, in ``applies_to``.
        arn = None if facts.arn is not None else _lowered(span_arn(attributes))
        # The hot loop: one tuple per rule, builtin matchers, nothing else called.
        for rule, on_path, on_method, on_host, on_arn, on_attributes in self._table:
            if on_path is not None and not on_path(path):
                continue
            if on_method is not None and (method is None or not on_method(method)):
                continue
            if on_host is not None and (host is None or not on_host(host)):
                continue
            if on_arn is not None and arn is not None and not on_arn(arn):
                continue
            if on_attributes and not _attributes_match(on_attributes, attributes):
                continue
            return rule
        return None


def _attributes_match(matchers: _Attributes, attributes: Mapping[str, Any] | None) -> bool:
    if not attributes:
        return False
    for key, matcher in matchers:
        value = _lowered(attributes.get(key))
        if value is None or (matcher is not None and not matcher(value)):
            return False
    return True


_SAMPLE = Decision.RECORD_AND_SAMPLE
_DROP = Decision.DROP


def local_parent_result(
    parent_context: Context | None, attributes: Attributes, trace_state: TraceState | None
) -> tuple[SamplingResult | None, TraceState | None]:
    """The decision a local parent imposes (followed, and counted by no rule), else
    None with the trace state to keep: a remote parent's, else ``trace_state``."""
    value = (parent_context if parent_context is not None else get_current()).get(SPAN_KEY)
    if value is None:
        return None, trace_state
    parent = span_context_of(value)
    if not parent[IS_VALID]:
        return None, trace_state
    state = parent[TRACE_STATE]
    if not parent[IS_REMOTE]:
        if parent[TRACE_FLAGS] & 1:
            return SamplingResult(_SAMPLE, attributes, state), state
        return SamplingResult(_DROP, None, state), state
    return None, state


def decide(
    rule: ActiveRule,
    now: float,
    trace_id: int,
    attributes: Attributes,
    trace_state: TraceState | None,
) -> SamplingResult:
    """``rule``'s decision on a new trace; a sampled one carries the rule's name (when
    it has one) in ``RULE_NAME_ATTRIBUTE``."""
    if not rule.sample(now, trace_id):
        return SamplingResult(_DROP, None, trace_state)
    if rule.name is None:
        return SamplingResult(_SAMPLE, attributes, trace_state)
    if attributes:
        return SamplingResult(_SAMPLE, {**attributes, RULE_NAME_ATTRIBUTE: rule.name}, trace_state)
    return SamplingResult(_SAMPLE, {RULE_NAME_ATTRIBUTE: rule.name}, trace_state)
