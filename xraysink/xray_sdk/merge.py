"""What X-Ray SDK code recorded on a span, waiting for the span's document.

The recorder bridge (:mod:`xraysink.xray_sdk.bridge`) hands out X-Ray SDK entities
(``Segment``/``Subsegment``) whose ids are those of OpenTelemetry spans. Whatever
the SDK API puts on such an entity (``put_annotation``, ``put_metadata``,
``put_http_meta``, ``set_user``, ``add_exception``, ``apply_status_code``, the
``aws``/``sql`` blocks of the SDK's patchers, a new ``name``) is merged into the span's translated
document by the span processor when the span ends, unchanged. This module imports
nothing from ``aws_xray_sdk``: the OpenTelemetry-first path never pays for it.
"""

from __future__ import annotations

from typing import Any

from xraysink.translate.clean import entity_name

#: span id (int) -> (X-Ray SDK entity, owned). ``owned``: the bridge started the
#: span for an SDK ``begin_*`` call, so the entity's ``namespace`` is the SDK's too;
#: a stand-in for a span started elsewhere only adds what was recorded on it.
#: Filled by the bridge, emptied by ``XRaySpanProcessor.on_end``.
entities: dict[int, tuple[Any, bool]] = {}


def merge_recorded(document: dict[str, Any], entity: Any, owned: bool) -> None:
    """Merge the fields an X-Ray SDK entity recorded into ``document`` (a translated
    X-Ray entity dict, changed in place). The SDK's values win key by key; the
    translator's ``aws.xray`` SDK description stays (the span was made by
    xraysink, whatever API started it). Reads the entity's attributes directly
    (the shapes of aws_xray_sdk's ``Entity.to_dict``) without serializing it."""
    # One read per field, no loops over field names: this runs for every span the
    # X-Ray SDK API touched, and most of them recorded only annotations or metadata.
    get = vars(entity).get
    annotations = get("annotations")
    if annotations:
        document.setdefault("annotations", {}).update(annotations)
    metadata = get("metadata")
    if metadata:
        _merge_nested(document.setdefault("metadata", {}), metadata)
    http = get("http")
    if http:
        _merge_nested(document.setdefault("http", {}), http)
    aws = get("aws")
    if aws:
        _merge_aws(document.setdefault("aws", {}), aws)
    sql = get("sql")
    if sql:
        document["sql"] = {**document.get("sql", {}), **sql}
    service = get("service")
    if service:
        document["service"] = {**document.get("service", {}), **service}
    if get("error"):
        document["error"] = True
    if get("fault"):
        document["fault"] = True
    if get("throttle"):
        document["throttle"] = True
    user = get("user")
    if user:
        document["user"] = user
    origin = get("origin")
    if origin:
        document["origin"] = origin
    cause = get("cause")
    if cause:
        _merge_cause(document, cause)
    if owned:
        namespace = get("namespace")
        if namespace:
            document["namespace"] = namespace
        # Renamed after it started (subsegment.name = ..., the SDK's Django template
        # and database patches): the name it ends with.
        name = get("name")
        if name and name != document["name"]:
            document["name"] = entity_name(name) or document["name"]


def _merge_nested(target: dict[str, Any], recorded: dict[str, Any]) -> None:
    # metadata namespaces and http request/response: merged key by key.
    for key, values in recorded.items():
        if isinstance(values, dict):
            target.setdefault(key, {}).update(values)


def _merge_aws(target: dict[str, Any], aws: dict[str, Any]) -> None:
    for key, value in aws.items():
        if key == "xray" and isinstance(value, dict):
            xray = target.setdefault("xray", {})
            for name, setting in value.items():
                if name not in ("sdk", "sdk_version"):
                    xray[name] = setting
        else:
            target[key] = value


def _merge_cause(document: dict[str, Any], cause: Any) -> None:
    if not isinstance(cause, dict):
        # An exception id: the SDK recorded the exception on a child already.
        document.setdefault("cause", cause)
        return
    exceptions = [
        throwable.to_dict() if hasattr(throwable, "to_dict") else throwable
        for throwable in cause.get("exceptions", ())
    ]
    current = document.get("cause")
    if isinstance(current, dict) and current.get("exceptions"):
        current["exceptions"].extend(exceptions)
        return
    document["cause"] = {
        "working_directory": cause.get("working_directory", ""),
        "exceptions": exceptions,
    }
