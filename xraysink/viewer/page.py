"""The viewer as one self-contained HTML file: the page with its style, code and data inline.

The file needs no server and no network: it opens from ``file://`` and shows the same
views as the live page, for what the store held when it was written. The data is JSON in
a ``<script type="application/json">`` element with ``<``, ``>`` and ``&`` escaped, so no
document text can close the element; a Content-Security-Policy in the page allows only
the inline style and script it was written with (by their SHA-256 hashes).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xraysink.viewer.server import static_text
from xraysink.viewer.store import TraceStore

WRITE_EVERY_S = 5.0
"""How often ``PeriodicWriter`` rewrites the file while traces keep arriving, in seconds."""

_STYLE_TAG = '<link rel="stylesheet" href="style.css">'
_SCRIPT_TAG = '<script src="app.js"></script>'
_CHARSET_TAG = '<meta charset="utf-8">'
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def embed_json(data: Any) -> str:
    """``data`` as JSON safe inside an HTML ``<script>`` element (no ``<``, ``>``, ``&``;
    non-ASCII escaped, U+2028/U+2029 included)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).translate(_JSON_ESCAPES)


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _replace_once(page: str, old: str, new: str) -> str:
    if page.count(old) != 1:
        raise ValueError(f"static/index.html must hold {old!r} exactly once")
    return page.replace(old, new)


@functools.cache
def _template() -> tuple[str, str]:
    """``(page, script)``: index.html with its policy and style inline, still linking
    app.js, and the text of app.js. Raises ``ValueError`` for static files that cannot
    be inlined."""
    # Package data does not change while the process runs, and --html renders the page
    # every few seconds: read and hash it once.
    style, script = static_text("style.css"), static_text("app.js")
    if "</style" in style.lower() or "</script" in script.lower():
        raise ValueError("static style or script would close its inline element")
    policy = (
        f"default-src 'none'; script-src {_digest(script)}; style-src {_digest(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    page = static_text("index.html")
    page = _replace_once(
        page,
        _CHARSET_TAG,
        f'{_CHARSET_TAG}\n<meta http-equiv="Content-Security-Policy" content="{policy}">',
    )
    return _replace_once(page, _STYLE_TAG, f"<style>{style}</style>"), script


def render_html(data: dict[str, Any]) -> str:
    """The self-contained page for ``data`` (``TraceStore.snapshot()``'s shape)."""
    page, script = _template()
    data_element = f'<script type="application/json" id="xraysink-data">{embed_json(data)}</script>'
    return _replace_once(page, _SCRIPT_TAG, f"{data_element}\n<script>{script}</script>")


def write_html(path: str | os.PathLike[str], store: TraceStore) -> None:
    """Write ``store``'s views to ``path`` as one self-contained HTML file.

    The file is replaced whole (written beside it, then renamed), so a browser reloading
    it never reads half a file. Raises ``OSError`` when it cannot be written.
    """
    target = Path(path)
    text = render_html(store.snapshot())
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class PeriodicWriter:
    """Write ``path`` from ``store`` at once, then rewrite it every ``every_s`` seconds
    while the store changes, from a background thread, and once more on ``close()``. A
    failed periodic write is reported to ``on_error`` (once per distinct message) and
    retried next time; the first and final writes raise ``OSError``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        store: TraceStore,
        every_s: float = WRITE_EVERY_S,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._path = path
        self._store = store
        self._every_s = every_s
        self._on_error = on_error
        self._last_error = ""
        self._written = store.version
        write_html(path, store)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xraysink-html", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            version = self._store.version
            if version == self._written:
                continue
            try:
                write_html(self._path, self._store)
            except OSError as exc:
                if self._on_error is not None and str(exc) != self._last_error:
                    self._on_error(f"cannot write {self._path}: {exc}")
                self._last_error = str(exc)
                continue
            self._written = version

    def close(self) -> None:
        """Stop the thread and write the file a last time."""
        self._stop.set()
        self._thread.join()
        write_html(self._path, self._store)
