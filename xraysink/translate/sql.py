"""The ``sql`` block of an X-Ray entity (collector awsxrayexporter sql.go)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from xraysink.translate.clean import clean_value

# Consumed only when ``db.system`` is an SQL database; otherwise they stay in metadata.
SQL_KEYS = frozenset({"db.connection_string", "db.system", "db.name", "db.statement", "db.user"})

_SQL_SYSTEMS = frozenset(
    {
        "db2",
        "derby",
        "hive",
        "mariadb",
        "mssql",
        "mysql",
        "oracle",
        "postgresql",
        "sqlite",
        "teradata",
        "other_sql",
    }
)


def _text(value: Any) -> str:
    cleaned = clean_value(value)
    return cleaned if type(cleaned) is str else ""


def make_sql(attributes: Mapping[str, Any], span_name: str) -> dict[str, str] | None:
    """Return ``{"url", "connection_string", "database_type", "user", "sanitized_query"}``.

    ``None`` unless ``db.system`` names an SQL database. As the collector: ``url`` is
    the span name (a connection string there helps nobody), ``connection_string`` is
    ``db.connection_string`` (default ``localhost``) + ``/`` + ``db.name``. Empty
    fields are omitted.
    """
    system = attributes.get("db.system")
    if type(system) is not str or system not in _SQL_SYSTEMS:
        return None
    connection = _text(attributes.get("db.connection_string")) or "localhost"
    block = {
        "url": span_name,
        "connection_string": connection + "/" + _text(attributes.get("db.name")),
        "database_type": _text(system),
        "user": _text(attributes.get("db.user")),
        "sanitized_query": _text(attributes.get("db.statement")),
    }
    return {key: value for key, value in block.items() if value}


def db_host(connection_string: Any) -> str:
    """Return the host of a DB connection string (``jdbc:`` prefix ignored), or ``""``.

    Collector segment.go names DB spans ``<db.name>@<host>`` from this, with the
    host's case kept (Go's ``URL.Hostname``; ``urlsplit().hostname`` lowers it).
    """
    if type(connection_string) is not str or "//" not in connection_string:
        return ""
    text = connection_string.removeprefix("jdbc:")
    try:
        parts = urlsplit(text)
        if not parts.hostname:
            return ""
    except ValueError:
        return ""
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0]
