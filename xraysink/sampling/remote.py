"""X-Ray centralized sampling as an OpenTelemetry sampler: ``XRayRemoteSampler``.

The sampling rules defined in X-Ray (console or ``CreateSamplingRule``) are polled
through the daemon's or CloudWatch agent's proxy (``GetSamplingRules`` every 300 s plus
up to 5 s of jitter), and each rule's statistics are reported for the targets X-Ray
assigns (``SamplingTargets`` every 10 s, or at the ``Interval`` a target gives), in a
background daemon thread: no decision waits on the network. Decisions follow the X-Ray
SDK (see ``xraysink.sampling._rules``). As the X-Ray SDK does, the last good rules are
kept for an hour when polls fail; with none fetched (or past that hour) the X-Ray
default decides: one trace a second plus 5 % of the others.

``OTEL_TRACES_SAMPLER=xray`` (entry point ``opentelemetry_traces_sampler``: ``xray``)
with ``OTEL_TRACES_SAMPLER_ARG=endpoint=http://127.0.0.1:2000,polling_interval=300``
builds the X-Ray-style parent-based sampler over this one (``sampler_from_argument``),
as ADOT Python's ``xray`` sampler takes the same argument.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.context import Context, get_current
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from xraysink._fork import renew_after_fork
from xraysink.propagation.keys import SPAN_KEY
from xraysink.sampling._client import SamplingAPIError, SamplingClient, sampling_endpoint
from xraysink.sampling._rules import (
    RULE_NAME_ATTRIBUTE,
    ResourceFacts,
    RuleSet,
    SamplingRule,
    decide,
    local_parent_result,
    rule_from_api,
)
from xraysink.sampling.local import load_local_rules
from xraysink.sampling.sampler import XRaySampler

__all__ = [
    "RULE_NAME_ATTRIBUTE",
    "XRayRemoteSampler",
    "sampler_from_argument",
    "sampling_endpoint",
]

_logger = logging.getLogger(__name__)

MAX_STATISTICS_PER_CALL = 25
"""``SamplingStatisticsDocuments`` the ``SamplingTargets`` API takes in one call."""

_TARGET_JITTER = 0.1


class XRayRemoteSampler(Sampler):
    """Root sampling by X-Ray's centralized sampling rules.

    - ``resource``: the TracerProvider's Resource; rules match its ``service.name``,
      its ``cloud.platform`` as service type (``AWS::EC2::Instance``...) and its ARN.
    - ``endpoint``: the proxy's base URL; default ``sampling_endpoint()``.
    - ``polling_interval``: seconds between rule polls (plus up to ``jitter`` s).
    - ``target_interval``: seconds between statistics reports until targets set one.
    - ``rules_ttl``: seconds the last good rules stay in use once polls fail.
    - ``timeout``: seconds for each HTTP call. ``start``: False leaves the polling
      thread to ``start()``.

    A local parent's decision is followed (uncounted); every other span starts a new
    trace here: the first matching rule decides and counts it, and a sampled one
    carries ``aws.xray.sampling_rule_name``. Poll failures never raise: ``stats``
    counts them by kind (``rules_connection``, ``rules_http_status``,
    ``rules_malformed``, ``rules_invalid_rule``, ``rules_empty``,
    ``targets_connection``, ..., ``statistics_lost``, ``rules_expired``) next to
    ``rules_polls``, ``targets_polls`` and ``statistics_sent``, and logs the first of
    each kind as a warning. Raises ``ValueError`` for a bad endpoint or interval.
    """

    def __init__(
        self,
        resource: Resource | None = None,
        *,
        endpoint: str | None = None,
        polling_interval: float = 300.0,
        target_interval: float = 10.0,
        rules_ttl: float = 3600.0,
        jitter: float = 5.0,
        timeout: float = 5.0,
        start: bool = True,
    ) -> None:
        for label, value in (
            ("polling_interval", polling_interval),
            ("target_interval", target_interval),
            ("timeout", timeout),
        ):
            if not value > 0:
                raise ValueError(f"{label} must be a number of seconds > 0, got {value!r}")
        self._client = SamplingClient(endpoint or sampling_endpoint(), timeout)
        self._facts = ResourceFacts(resource)
        self._polling_interval = polling_interval
        self._default_target_interval = target_interval
        self._rules_ttl = rules_ttl
        self._jitter = jitter
        self._client_id = os.urandom(12).hex()
        self._fallback = load_local_rules(None, resource)
        self._rules: RuleSet | None = None
        # Seconds since the epoch: when the last good rules arrived, and when they expire.
        self._fetched_at = -float("inf")
        self._expires = -float("inf")
        self._expiry_noted = False
        self.stats: Counter[str] = Counter()
        self._logged: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        renew_after_fork(self)
        if start:
            self.start()

    @property
    def endpoint(self) -> str:
        """The sampling proxy's base URL."""
        return self._client.endpoint

    @property
    def rules(self) -> tuple[SamplingRule, ...]:
        """The rules in use that can apply to this service, in the order tried."""
        rules = self._rules
        return tuple(active.rule for active in rules.rules) if rules is not None else ()

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
        context = parent_context if parent_context is not None else get_current()
        # A new trace without any parent, the common case, needs no parent reading.
        if SPAN_KEY in context:
            followed, trace_state = local_parent_result(context, attributes, trace_state)
            if followed is not None:
                return followed
        now = time.time()
        rules = self._rules
        if rules is not None and now <= self._expires:
            rule = rules.match(attributes)
            if rule is not None:
                return decide(rule, now, trace_id, attributes, trace_state)
        fallback = self._fallback
        return decide(
            fallback.match(attributes) or fallback.rules[-1], now, trace_id, attributes, trace_state
        )

    def get_description(self) -> str:
        return f"XRayRemoteSampler{{endpoint={self.endpoint}}}"

    def start(self) -> None:
        """Start the polling thread (a daemon thread); a no-op while it runs."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="xraysink-sampling", daemon=True
            )
            self._thread.start()

    def close(self, timeout: float | None = None) -> None:
        """Stop polling; waits up to ``timeout`` seconds for a call in flight. Decisions
        go on with the rules held."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        clock = time.monotonic
        next_rules = clock()
        next_targets = next_rules + self._default_target_interval
        while not stop.wait(max(0.0, min(next_rules, next_targets) - clock())):
            try:
                if clock() >= next_rules:
                    self._poll_rules()
                    next_rules = clock() + self._polling_interval + random.random() * self._jitter
                if clock() >= next_targets:
                    if self._poll_targets():
                        next_rules = clock()
                    next_targets = (
                        clock() + self._target_interval() + (random.random() * _TARGET_JITTER)
                    )
                self._note_expiry()
            except Exception as error:  # the poller must outlive any surprise
                self._failed("poll_error", error)
                next_rules = max(next_rules, clock() + 1.0)
                next_targets = max(next_targets, clock() + 1.0)

    def _poll_rules(self) -> None:
        try:
            records = self._client.get_sampling_rules()
        except SamplingAPIError as error:
            self._failed("rules_" + error.kind, error)
            return
        rules: list[SamplingRule] = []
        for record in records:
            try:
                rules.append(rule_from_api(record))
            except ValueError as error:
                self._failed("rules_invalid_rule", error)
        if not rules:
            self._failed("rules_empty", "GetSamplingRules returned no usable rule")
            return
        self._rules = RuleSet(rules, self._facts, self._rules)
        self._fetched_at = time.time()
        self._expires = self._fetched_at + self._rules_ttl
        self._expiry_noted = False
        self.stats["rules_polls"] += 1

    def _poll_targets(self) -> bool:
        """Report the statistics due; apply the targets. True when X-Ray says the rules
        changed since the last poll."""
        rules = self._rules
        if rules is None:
            return False
        now, clock = time.time(), time.monotonic()
        due = [rule for rule in rules.rules if rule.requests and clock >= rule.next_report]
        documents = []
        for rule in due:
            requests, sampled, borrowed = rule.take_statistics()
            documents.append(
                {
                    "RuleName": rule.name,
                    "ClientID": self._client_id,
                    "RequestCount": requests,
                    "SampledCount": sampled,
                    "BorrowCount": borrowed,
                    "Timestamp": int(now),
                }
            )
        changed = False
        for first in range(0, len(documents), MAX_STATISTICS_PER_CALL):
            chunk = documents[first : first + MAX_STATISTICS_PER_CALL]
            try:
                answer = self._client.get_sampling_targets(chunk)
            except SamplingAPIError as error:
                self._failed("targets_" + error.kind, error)
                self.stats["statistics_lost"] += len(chunk)
                continue
            self.stats["targets_polls"] += 1
            self.stats["statistics_sent"] += len(chunk)
            changed |= self._apply_targets(rules, answer)
        # After the targets: they may have set a rule's own interval.
        for rule in due:
            rule.next_report = clock + (rule.interval or self._default_target_interval)
        return changed

    def _apply_targets(self, rules: RuleSet, answer: Mapping[str, Any]) -> bool:
        by_name = {rule.name: rule for rule in rules.rules}
        targets = answer.get("SamplingTargetDocuments")
        if not isinstance(targets, list):
            self._failed("targets_malformed", "SamplingTargets: no SamplingTargetDocuments")
            targets = []
        for target in targets:
            rule = by_name.get(target.get("RuleName")) if isinstance(target, Mapping) else None
            if rule is None:
                continue
            try:
                rule.apply_target(*_target_values(target))
            except ValueError as error:
                self._failed("targets_malformed", error)
        modified = answer.get("LastRuleModification")
        return isinstance(modified, (int, float)) and modified > self._fetched_at

    def _target_interval(self) -> float:
        rules = self._rules
        default = self._default_target_interval
        if rules is None:
            return default
        return min((rule.interval or default for rule in rules.rules), default=default)

    def _note_expiry(self) -> None:
        if self._rules is not None and not self._expiry_noted and time.time() > self._expires:
            self._expiry_noted = True
            self._failed("rules_expired", "no good rules for too long, the default decides")

    def _failed(self, kind: str, error: object) -> None:
        self.stats[kind] += 1
        if kind not in self._logged:
            self._logged.add(kind)
            _logger.warning("X-Ray sampling (%s): %s", kind, error)
        else:
            _logger.debug("X-Ray sampling (%s): %s", kind, error)

    def _after_fork_in_child(self) -> None:
        for rules in (self._rules, self._fallback):
            if rules is not None:
                for rule in rules.rules:
                    rule.reset_lock()
        self._lock = threading.Lock()
        # The parent's thread does not exist here; poll again from this process.
        if self._thread is not None:
            self._thread = None
            self.start()


def _target_values(
    target: Mapping[str, Any],
) -> tuple[float, int | None, float | None, float | None]:
    rate: Any = target.get("FixedRate")
    quota: Any = target.get("ReservoirQuota")
    ttl: Any = target.get("ReservoirQuotaTTL")
    interval: Any = target.get("Interval")
    if (
        type(rate) not in (int, float)
        or not 0 <= rate <= 1
        or (quota is not None and (type(quota) is not int or quota < 0))
        or (ttl is not None and type(ttl) not in (int, float))
        or (interval is not None and (type(interval) not in (int, float) or interval <= 0))
    ):
        raise ValueError(f"SamplingTargets: malformed target {dict(target)!r}")
    return float(rate), quota, ttl, interval


def sampler_from_argument(argument: str | None = None) -> Sampler:
    """The ``opentelemetry_traces_sampler`` entry point ``xray``: ``XRaySampler`` (the
    caller's ``Sampled=1``/``0`` wins) over an ``XRayRemoteSampler`` for
    ``Resource.create()``.

    ``argument`` is ``OTEL_TRACES_SAMPLER_ARG``: comma-separated ``key=value`` pairs,
    ``endpoint`` (the proxy's base URL) and ``polling_interval`` (seconds), both
    optional. Raises ``ValueError`` for another key or a bad value (the OpenTelemetry
    SDK then logs it and keeps its default sampler).
    """
    options: dict[str, str] = {}
    for pair in (argument or "").split(","):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in ("endpoint", "polling_interval"):
            raise ValueError(
                f"OTEL_TRACES_SAMPLER_ARG for xray: expected endpoint=URL,polling_interval="
                f"SECONDS, got {pair!r}"
            )
        options[key] = value.strip()
    polling_interval = 300.0
    if "polling_interval" in options:
        try:
            polling_interval = float(options["polling_interval"])
        except ValueError:
            raise ValueError(
                f"OTEL_TRACES_SAMPLER_ARG for xray: polling_interval must be seconds, "
                f"got {options['polling_interval']!r}"
            ) from None
    return XRaySampler(
        XRayRemoteSampler(
            Resource.create(),
            endpoint=options.get("endpoint") or None,
            polling_interval=polling_interval,
        )
    )
