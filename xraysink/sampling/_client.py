"""The X-Ray sampling API over HTTP, as the daemon and the CloudWatch agent proxy it.

``POST /GetSamplingRules`` and ``POST /SamplingTargets`` take and return JSON (the X-Ray
API's REST-JSON shapes; timestamps are seconds since the epoch). The proxy listens on
the TCP part of the daemon address (``AWS_XRAY_DAEMON_ADDRESS``) and signs the calls.

These calls are never traced: they run with OpenTelemetry's suppress-instrumentation
keys set in the context, and through a connection class that the X-Ray SDK's
``httplib`` patch is told to ignore (its own ignore list names the botocore connection
its pollers use, with the same two paths).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import wrapt
from opentelemetry import context as otel_context

from xraysink._internals import untraced_context
from xraysink.emitters.udp import resolve_daemon_addresses

RULES_PATH = "/GetSamplingRules"
TARGETS_PATH = "/SamplingTargets"

MAX_RULE_PAGES = 100
"""Pages of ``GetSamplingRules`` followed through ``NextToken`` in one poll, at most."""


class SamplingAPIError(Exception):
    """A failed sampling API call; ``kind`` is ``connection`` (refused, reset, timed
    out), ``http_status`` (an answer other than 200) or ``malformed`` (not the JSON
    shape of the API)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _SamplingConnection(http.client.HTTPConnection):
    """The sampler's own connection class, so the X-Ray SDK's patch can ignore it."""


class _SamplingHTTPSConnection(http.client.HTTPSConnection):
    """The sampler's own connection class, so the X-Ray SDK's patch can ignore it."""


def sampling_endpoint(daemon_address: str | None = None) -> str:
    """The base URL of the sampling proxy for an X-Ray daemon address: its TCP part
    (``host:port``, or ``tcp:host:port`` of ``udp:h:p tcp:h:p``); without one,
    ``AWS_XRAY_DAEMON_ADDRESS``'s; else ``http://127.0.0.1:2000``. Raises
    ``ValueError`` for a malformed address."""
    host, port = resolve_daemon_addresses(daemon_address)[1]
    return f"http://{host}:{port}"


class SamplingClient:
    """Calls of the sampling API at ``endpoint`` (``http[s]://host[:port][/prefix]``).

    ``timeout``: seconds for connecting and for each read. Raises ``ValueError`` for an
    endpoint that is not such a URL. The calls raise ``SamplingAPIError``.
    """

    def __init__(self, endpoint: str, timeout: float = 5.0) -> None:
        try:
            parts = urlsplit(endpoint)
            port = parts.port
        except (ValueError, TypeError, AttributeError) as error:
            raise ValueError(f"invalid sampling endpoint {endpoint!r}: {error}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"invalid sampling endpoint {endpoint!r}: expected http://host:port")
        self.endpoint = endpoint
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout

    def get_sampling_rules(self) -> list[Any]:
        """Every ``SamplingRule`` object of every page (``NextToken`` followed)."""
        rules: list[Any] = []
        token: str | None = None
        for _ in range(MAX_RULE_PAGES):
            answer = self._post(RULES_PATH, {"NextToken": token} if token else {})
            records = answer.get("SamplingRuleRecords")
            if not isinstance(records, list) or not all(
                isinstance(record, Mapping) and "SamplingRule" in record for record in records
            ):
                raise SamplingAPIError("malformed", "GetSamplingRules: no SamplingRuleRecords")
            rules.extend(record["SamplingRule"] for record in records)
            token = answer.get("NextToken")
            if not token:
                return rules
            if not isinstance(token, str):
                raise SamplingAPIError("malformed", "GetSamplingRules: NextToken not a string")
        raise SamplingAPIError("malformed", f"GetSamplingRules: over {MAX_RULE_PAGES} pages")

    def get_sampling_targets(self, documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Send ``SamplingStatisticsDocuments``; returns the decoded answer
        (``SamplingTargetDocuments``, ``LastRuleModification``, ...)."""
        return self._post(TARGETS_PATH, {"SamplingStatisticsDocuments": list(documents)})

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        token = otel_context.attach(untraced_context())
        try:
            status, data = self._exchange(path, json.dumps(body).encode())
        finally:
            otel_context.detach(token)
        if status != 200:
            raise SamplingAPIError("http_status", f"{path}: HTTP {status}")
        try:
            answer = json.loads(data)
        except ValueError as error:
            raise SamplingAPIError("malformed", f"{path}: not JSON ({error})") from None
        if not isinstance(answer, dict):
            raise SamplingAPIError("malformed", f"{path}: not a JSON object")
        return answer

    def _exchange(self, path: str, payload: bytes) -> tuple[int, bytes]:
        kind = _SamplingHTTPSConnection if self._https else _SamplingConnection
        connection = kind(self._host, self._port, timeout=self._timeout)
        try:
            connection.request(
                "POST", self._prefix + path, payload, {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            raise SamplingAPIError("connection", f"{path}: {error!r}") from None
        finally:
            connection.close()


def _ignored_by_xray_sdk(module: Any) -> None:
    for kind in (_SamplingConnection, _SamplingHTTPSConnection):
        module.add_ignored(
            subclass=f"{kind.__module__}.{kind.__name__}", urls=[RULES_PATH, TARGETS_PATH]
        )


wrapt.register_post_import_hook(_ignored_by_xray_sdk, "aws_xray_sdk.ext.httplib")
