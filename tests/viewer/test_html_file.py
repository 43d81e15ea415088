"""``xraysink listen --html FILE``: the same views from one self-contained file:// page."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.documents import datagram
from tests.viewer import traces
from tests.viewer.conftest import ViewerListener
from tests.viewer.test_page import list_rows, map_edges, panel_sections, wait, waterfall
from xraysink.receiver.record import Received
from xraysink.viewer.page import PeriodicWriter
from xraysink.viewer.store import TraceStore


def test_the_file_written_on_stop_opens_offline_with_the_same_views(
    browser: Any, tmp_path: Path
) -> None:
    path = tmp_path / "traces.html"
    listener = ViewerListener("--html", str(path))
    try:
        sent = traces.demo_like()
        hostile = traces.hostile_trace()
        listener.send(*(d for docs in sent.values() for d in docs), *hostile)
        listener.send(traces.hostile_rejected(), b"not a datagram")
        _, rest, _ = listener.stop()
    finally:
        listener.kill()
    assert rest[-2:] == [
        "stopped: 11 datagrams received, 2 rejected",
        f"viewer written to {path}",
    ]
    page = path.read_text("utf-8")
    # Self-contained: no file or address to fetch, no markup from documents.
    assert not re.search(r"""(src|href)=["'](?!#)""", page)
    assert "<script>window.__xss" not in page and "<img" not in page

    browser.get(path.as_uri())
    wait(browser, "return document.querySelectorAll('table.traces tbody tr').length === 5")
    rows = {row["id"]: row["cells"] for row in list_rows(browser)}
    assert rows[sent["inventory"][0]["trace_id"]][1:8] == [
        "inventory",
        "120.0 ms",
        "GET",
        "http://127.0.0.1:8000/inventory",
        "200",
        "",
        "8",
    ]
    assert "snapshot of " in browser.find_element(By.ID, "stats").text

    browser.find_element(
        By.CSS_SELECTOR, f'tr[data-trace-id="{sent["refresh"][0]["trace_id"]}"]'
    ).click()
    wait(browser, "return document.querySelectorAll('.wf-row:not(.wf-axis)').length === 5")
    rows = waterfall(browser)
    # The page's policy allows its own inline script and style; bars are still to scale.
    assert rows[3]["bar"] == pytest.approx(rows[0]["track"] * 20 / 46, abs=1.0)
    assert [(r["name"], r["kind"]) for r in rows] == [
        ("inventory", "segment"),
        ("Create Task: refresh_cache", "embedded"),
        ("inventory", "segment"),
        ("cache.write", "independent"),
        ("cache.flush", "independent"),
    ]

    browser.get(path.as_uri() + "#/trace/" + hostile[0]["trace_id"] + "/" + hostile[0]["id"])
    wait(browser, "return document.querySelector('.details.open .cause')")
    assert f"{traces.SCRIPT}: {traces.IMAGE}" in panel_sections(browser)["cause"]

    browser.get(path.as_uri() + "#/map")
    # The demo's five edges and the client's call to the hostile service.
    wait(browser, "return document.querySelectorAll('.edge-table tbody tr').length === 6")
    assert ["inventory", "DynamoDB (aws)", "1", "0 (0%)", "0 (0%)"] in map_edges(browser)

    browser.get(path.as_uri() + "#/invalid")
    wait(browser, "return document.querySelectorAll('article.rejected').length === 2")
    assert "missing header" in browser.find_element(By.CSS_SELECTOR, ".rejected-list").text
    assert browser.execute_script("return window.__xss") is None


def test_the_file_is_rewritten_while_traces_arrive(tmp_path: Path) -> None:
    path = tmp_path / "live.html"
    store = TraceStore()
    writer = PeriodicWriter(path, store, every_s=0.05)
    try:
        doc = traces.missing_trace()[0]
        store.add([Received.from_datagram(datagram(doc), seq=0, sender="-", received_at=0)])
        deadline = time.monotonic() + 10
        while not (path.exists() and doc["trace_id"] in path.read_text("utf-8")):
            assert time.monotonic() < deadline, "the file was not rewritten"
            time.sleep(0.05)
    finally:
        writer.close()
    assert not [p.name for p in tmp_path.iterdir() if p != path], "a temporary file was left"
