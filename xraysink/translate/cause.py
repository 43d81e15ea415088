"""Flags (``fault``/``error``/``throttle``) and the ``cause`` block of an X-Ray entity.

Follows the collector's awsxrayexporter cause.go (makeCause), with Python tracebacks
parsed in full: the text that ``traceback.format_exception`` writes (what OTel's
``record_exception`` stores in ``exception.stacktrace``) gives real frames for every
exception of a chain, and the chained exceptions (``raise X from Y``, "During
handling ...") become linked entries of ``cause.exceptions``. The collector keeps the
"During handling" links only and reads just one frame list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import getrandbits
from typing import Any

from opentelemetry.sdk.trace import Event

from xraysink.translate.clean import clean_value

_CAUSE_LINE = "The above exception was the direct cause of the following exception:"
_CONTEXT_LINE = "During handling of the above exception, another exception occurred:"
_FILE_PREFIX = '  File "'
_LINE_MARK = '", line '
_IN_MARK = ", in "
# Innermost frames are kept; a RecursionError alone could otherwise fill a document.
MAX_FRAMES = 64

# Collector cause.go: AWS SDK spans record failed HTTP attempts as their own events.
_AWS_HTTP_EVENT = "HTTP request failure"

Frame = dict[str, Any]
Section = tuple[str, str, list[Frame]]


def new_id() -> str:
    """Return a random, non-zero 16-hex-digit id (exception and Application Signals ids)."""
    return "%016x" % (getrandbits(64) or 1)


def make_flags(http_status: int | None, is_error: bool) -> tuple[bool, bool, bool]:
    """Return ``(fault, error, throttle)``.

    From the HTTP status whatever the span status: 4xx is an error (429 also a
    throttle), 5xx a fault; otherwise a span status ERROR is a fault (collector
    cause.go).
    """
    if http_status is not None:
        if 400 <= http_status <= 499:
            return False, True, http_status == 429
        if 500 <= http_status <= 599:
            return True, False, False
    return is_error, False, False


def _text(value: Any) -> str:
    cleaned = clean_value(value)
    return cleaned if type(cleaned) is str else ""


def _frame(line: str) -> Frame:
    # '  File "<path>", line <n>, in <label>'; paths may hold commas, so search from the right.
    body = line[len(_FILE_PREFIX) :]
    mark = body.rfind(_LINE_MARK)
    if mark < 0:
        return {"path": body.rstrip('"'), "line": 0, "label": ""}
    rest = body[mark + len(_LINE_MARK) :]
    split = rest.find(_IN_MARK)
    number, label = (rest[:split], rest[split + len(_IN_MARK) :]) if split >= 0 else (rest, "")
    return {
        "path": body[:mark],
        # No source file has a billion lines; the bound keeps int() and orjson safe.
        "line": int(number) if len(number) <= 9 and number.isdecimal() else 0,
        "label": label,
    }


def _section(lines: list[str]) -> Section | None:
    frames: list[Frame] = []
    text: list[str] | None = None
    for line in lines:
        if text is not None:
            text.append(line)
        elif line.startswith(_FILE_PREFIX):
            frames.append(_frame(line))
        elif (
            line
            and not line.startswith("    ")
            and not line.startswith("Traceback (most recent call last)")
            and not line.startswith("  [Previous line repeated")
        ):
            # The first line that is neither header, frame, source nor caret starts
            # "Type: message", and the message may run over several lines.
            text = [line]
    if text is None:
        return None
    while len(text) > 1 and not text[-1]:
        text.pop()
    first = text[0]
    split = first.find(": ")
    if split > 0:
        kind, message = first[:split], first[split + 2 :]
    else:
        kind, message = first, ""
    if len(text) > 1:
        message = "\n".join([message, *text[1:]]) if message else "\n".join(text[1:])
    frames.reverse()
    return kind, message, frames


def parse_traceback(text: str) -> list[Section]:
    """Parse ``traceback.format_exception`` text into ``(type, message, frames)`` sections.

    Sections come in printed order: the first is the innermost cause, the last the
    exception that was recorded. Frames are ``{"path", "line", "label"}``, innermost
    first. Source and caret lines (Python 3.11+) are skipped; text that is not a
    traceback, or an exception group (not split into its members), gives ``[]``.
    """
    if "Exception Group Traceback" in text:
        return []
    sections: list[Section] = []
    lines: list[str] = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line in (_CAUSE_LINE, _CONTEXT_LINE):
            section = _section(lines)
            if section is not None:
                sections.append(section)
            lines = []
        else:
            lines.append(line)
    section = _section(lines)
    if section is not None:
        sections.append(section)
    return sections


def _exception(
    kind: str, message: str, remote: bool, frames: list[Frame], cause: str | None
) -> dict[str, Any]:
    exception: dict[str, Any] = {"id": new_id()}
    if kind:
        exception["type"] = kind
    if message:
        exception["message"] = message
    exception["remote"] = remote
    if frames:
        if len(frames) > MAX_FRAMES:
            exception["truncated"] = len(frames) - MAX_FRAMES
            frames = frames[:MAX_FRAMES]
        exception["stack"] = frames
    if cause is not None:
        exception["cause"] = cause
    return exception


def exceptions_from_event(attributes: Mapping[str, Any], remote: bool) -> list[dict[str, Any]]:
    """Return the X-Ray exceptions for one ``exception`` event, outermost first.

    Each is ``{"id", "type", "message", "remote", "stack"[, "truncated"][, "cause"]}``
    (empty ones omitted); ``cause`` is the id of the exception it was chained from.
    The recorded exception keeps the event's ``exception.type``/``exception.message``.
    """
    kind = _text(attributes.get("exception.type"))
    message = _text(attributes.get("exception.message"))
    stacktrace = _text(attributes.get("exception.stacktrace"))
    sections = parse_traceback(stacktrace) if stacktrace else []
    if not sections:
        return [_exception(kind, message, remote, [], None)]
    built: list[dict[str, Any]] = []
    cause: str | None = None
    last = len(sections) - 1
    for index, (section_kind, section_message, frames) in enumerate(sections):
        if index == last:
            section_kind = kind or section_kind
            section_message = message or section_message
        exception = _exception(section_kind, section_message, remote, frames, cause)
        cause = exception["id"]
        built.append(exception)
    built.reverse()
    return built


def _aws_http_failure(event: Event) -> dict[str, Any] | None:
    attributes = event.attributes or {}
    code = attributes.get("http.response.status_code")
    text = attributes.get("aws.http.error_message")
    if code is None or text is None:
        return None
    seconds = ((event.timestamp or 0) // 1000) / 1e6
    return {
        "id": new_id(),
        "type": "aws.http.error.event",
        "remote": True,
        "message": f"{_text(code) or code}@{seconds:.6f}@{_text(text)}",
    }


def make_cause(
    events: Sequence[Event],
    is_error: bool,
    description: str | None,
    status_text: Any,
    remote: bool,
    aws_sdk: bool,
) -> tuple[dict[str, Any] | None, bool]:
    """Return ``(cause, status_text_used)``.

    ``cause`` is ``{"exceptions": [...]}`` from the ``exception`` events (and, on AWS
    SDK spans, "HTTP request failure" events), else for a span status ERROR one
    exception whose message is the status description, or ``http.status_text``
    (``status_text``), if either is set; else ``None``. ``status_text_used`` is true
    when the status-only path ran, which consumes ``http.status_text`` (collector
    cause.go). ``remote`` is true for CLIENT and PRODUCER spans.
    """
    exceptions: list[dict[str, Any]] = []
    for event in events:
        name = event.name
        if name == "exception":
            exceptions.extend(exceptions_from_event(event.attributes or {}, remote))
        elif aws_sdk and name == _AWS_HTTP_EVENT:
            failure = _aws_http_failure(event)
            if failure is not None:
                exceptions.append(failure)
    if exceptions:
        return {"exceptions": exceptions}, False
    if not is_error:
        return None, False
    message = _text(description) or _text(status_text)
    if not message:
        return None, True
    return {"exceptions": [{"id": new_id(), "message": message}]}, True
