"""A local stand-in for the daemon's sampling proxy: ``GetSamplingRules`` and
``SamplingTargets`` answered from a rules file, over HTTP on 127.0.0.1.

Rules file (``xraysink listen --sampling-rules FILE``): JSON in X-Ray's own shapes,
either the ``GetSamplingRules`` answer (``{"SamplingRuleRecords": [{"SamplingRule":
{...}}]}``, what ``aws xray get-sampling-rules`` prints) or a plain list of
``SamplingRule`` objects. Each needs ``RuleName``, ``Priority``, ``FixedRate`` and
``ReservoirSize``; ``ServiceName``, ``ServiceType``, ``Host``, ``HTTPMethod``,
``URLPath`` and ``ResourceARN`` default to ``*``, ``Version`` to 1. Without a rule named
``Default``, X-Ray's default is added (priority 10000, a reservoir of 1, rate 0.05).

``SamplingTargets`` answers each reported rule with its ``FixedRate``, a
``ReservoirQuota`` of its ``ReservoirSize`` (one client takes the whole reservoir),
a ``ReservoirQuotaTTL`` two intervals ahead and the ``Interval``; a rule it does not
know goes to ``UnprocessedStatistics``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from xraysink.sampling._client import RULES_PATH, TARGETS_PATH
from xraysink.sampling._rules import rule_from_api

DEFAULT_RULE: Mapping[str, Any] = {
    "RuleName": "Default",
    "Priority": 10000,
    "FixedRate": 0.05,
    "ReservoirSize": 1,
    "ServiceName": "*",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "*",
    "ResourceARN": "*",
    "Version": 1,
    "Attributes": {},
}
"""X-Ray's default rule, as ``GetSamplingRules`` returns it for a new account."""

TARGET_INTERVAL = 10
"""Seconds between statistics reports that the targets ask for."""


def parse_sampling_rules(document: Any) -> list[dict[str, Any]]:
    """The ``SamplingRule`` objects of a rules document (see the module docstring),
    each with its defaults filled in, plus X-Ray's ``Default`` when none is named so.

    Raises ``ValueError`` saying which rule is wrong and why.
    """
    if isinstance(document, Mapping):
        records = document.get("SamplingRuleRecords")
        if not isinstance(records, list) or not all(
            isinstance(record, Mapping) and "SamplingRule" in record for record in records
        ):
            raise ValueError(
                'sampling rules: expected {"SamplingRuleRecords": [{"SamplingRule": {...}}]} '
                "or a list of SamplingRule objects"
            )
        listed = [record["SamplingRule"] for record in records]
    elif isinstance(document, list):
        listed = document
    else:
        raise ValueError("sampling rules: expected a JSON object or list")
    rules = []
    for record in listed:
        rule_from_api(record)
        rules.append({**DEFAULT_RULE, **record})
    names = [rule["RuleName"] for rule in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"sampling rules: rule names must be unique, got {names}")
    if "Default" not in names:
        rules.append(dict(DEFAULT_RULE))
    return rules


def load_sampling_rules(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """``parse_sampling_rules`` of a JSON file; ``ValueError`` for bad JSON or rules,
    ``OSError`` for an unreadable file."""
    with open(path, encoding="utf-8") as file:
        try:
            document = json.load(file)
        except ValueError as error:
            raise ValueError(f"sampling rules {os.fspath(path)!r}: {error}") from None
    return parse_sampling_rules(document)


class SamplingServer:
    """Answer the sampling API from ``rules`` (``parse_sampling_rules`` output) on TCP
    ``host``:``port`` (port 0 picks a free one; read ``port``).

    ``page_size``: rule records per ``GetSamplingRules`` page (the rest through
    ``NextToken``); ``interval``: the targets' ``Interval`` in seconds. Serving starts in
    a daemon thread when the constructor returns; ``close()`` (or leaving a ``with``
    block) stops it. ``statistics`` keeps every ``SamplingStatisticsDocument`` received.
    Raises ``OSError`` when the address cannot be bound.
    """

    def __init__(
        self,
        rules: Sequence[Mapping[str, Any]],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        page_size: int = 100,
        interval: int = TARGET_INTERVAL,
    ) -> None:
        self.rules = [dict(rule) for rule in rules]
        self.page_size = page_size
        self.interval = interval
        self.modified_at = time.time()
        #: Set once a ``GetSamplingRules`` call was answered.
        self.rules_served = threading.Event()
        self.statistics: list[dict[str, Any]] = []
        self._host = host
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer((host, port), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="xraysink-sampling-server",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return int(self._http.server_address[1])

    @property
    def endpoint(self) -> str:
        """The base URL to give a sampler."""
        return f"http://{self._host}:{self.port}"

    def close(self) -> None:
        """Stop serving and release the port."""
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    def __enter__(self) -> SamplingServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def answer(self, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The JSON answer to a POST of ``body`` to ``path``; None for an unknown path."""
        if path == RULES_PATH:
            page = self._rules_page(body.get("NextToken"))
            self.rules_served.set()
            return page
        if path == TARGETS_PATH:
            return self._targets(body.get("SamplingStatisticsDocuments") or [])
        return None

    def _rules_page(self, token: Any) -> dict[str, Any]:
        start = int(token) if isinstance(token, str) and token.isdigit() else 0
        page = self.rules[start : start + self.page_size]
        answer: dict[str, Any] = {
            "SamplingRuleRecords": [
                {
                    "SamplingRule": rule,
                    "CreatedAt": self.modified_at,
                    "ModifiedAt": self.modified_at,
                }
                for rule in page
            ]
        }
        if start + self.page_size < len(self.rules):
            answer["NextToken"] = str(start + self.page_size)
        return answer

    def _targets(self, documents: list[Any]) -> dict[str, Any]:
        by_name = {rule["RuleName"]: rule for rule in self.rules}
        targets, unprocessed = [], []
        expires = time.time() + 2 * self.interval
        for document in documents:
            name = document.get("RuleName") if isinstance(document, Mapping) else None
            rule = by_name.get(name)
            if rule is None:
                unprocessed.append(
                    {"RuleName": name, "ErrorCode": "400", "Message": "unknown sampling rule"}
                )
                continue
            with self._lock:
                self.statistics.append(dict(document))
            targets.append(
                {
                    "RuleName": name,
                    "FixedRate": rule["FixedRate"],
                    "ReservoirQuota": rule["ReservoirSize"],
                    "ReservoirQuotaTTL": expires,
                    "Interval": self.interval,
                }
            )
        return {
            "SamplingTargetDocuments": targets,
            "LastRuleModification": self.modified_at,
            "UnprocessedStatistics": unprocessed,
        }


def _handler(server: SamplingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._send(400, {"message": "the body must be a JSON object"})
                return
            answer = server.answer(self.path, body)
            if answer is None:
                self._send(404, {"message": f"no such operation: {self.path}"})
            else:
                self._send(200, answer)

        def _send(self, status: int, answer: Mapping[str, Any]) -> None:
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: ``xraysink listen`` prints traces, not requests."""

    return Handler
