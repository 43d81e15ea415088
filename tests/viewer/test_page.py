"""The live page of ``xraysink listen --ui`` in a real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.viewer import traces
from tests.viewer.conftest import ViewerListener


def wait(driver: Any, script: str, *args: Any, timeout: float = 10.0) -> Any:
    """Run ``script`` until it returns something truthy; return that."""
    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script, *args))


def list_rows(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script(
        """return [...document.querySelectorAll("table.traces tbody tr")].map((tr) => ({
            id: tr.dataset.traceId, cells: [...tr.cells].map((td) => td.textContent)}));"""
    )


def show_list(driver: Any, listener: ViewerListener, count: int) -> list[dict[str, Any]]:
    driver.get(listener.url + "#/traces")
    wait(
        driver,
        "return document.querySelectorAll('table.traces tbody tr').length === arguments[0]",
        count,
    )
    return list_rows(driver)


@pytest.fixture
def demo(listener: ViewerListener) -> dict[str, list[dict[str, Any]]]:
    sent = traces.demo_like()
    listener.send(*(doc for docs in sent.values() for doc in docs))
    return sent


def test_the_list_shows_every_trace_with_its_request(
    browser: Any, listener: ViewerListener, demo: dict[str, list[dict[str, Any]]]
) -> None:
    rows = {row["id"]: row["cells"] for row in show_list(browser, listener, 4)}
    inventory = rows[demo["inventory"][0]["trace_id"]]
    # Start, name, duration, method, URL, status, flags, entities, trace id.
    assert inventory[1:8] == [
        "inventory",
        "120.0 ms",
        "GET",
        "http://127.0.0.1:8000/inventory",
        "200",
        "",
        "8",
    ]
    assert rows[demo["boom"][0]["trace_id"]][5:7] == ["500", "fault"]
    assert rows[demo["missing"][0]["trace_id"]][5:7] == ["404", "error"]
    refresh = rows[demo["refresh"][0]["trace_id"]]
    assert refresh[2:8] == [
        "46.0 ms",
        "POST",
        "http://127.0.0.1:8000/items/1/refresh",
        "202",
        "in progress",
        "5",
    ]


@pytest.mark.parametrize(
    ("name", "status", "expression", "shown"),
    [
        ("", "fault", "", ["boom"]),
        ("", "error", "", ["missing"]),
        ("", "ok", "", ["inventory", "refresh"]),
        ("postgres", "all", "", ["inventory"]),
        ("CACHE.W", "all", "", ["refresh"]),
        ("", "all", 'annotation.customer = "alice"', ["inventory"]),
        ("", "all", "annotation.customer = bob", ["missing"]),
        ("", "all", "annotation.tier >= 1 OR http.status = 500", ["boom", "inventory"]),
        ("", "all", 'service("stock")', ["inventory"]),
        ("", "all", "http.url CONTAINS refresh AND NOT error", ["refresh"]),
        ("", "all", "responsetime > 0.05", ["inventory"]),
    ],
)
def test_the_list_filters_by_name_status_and_expression(
    browser: Any,
    listener: ViewerListener,
    demo: dict[str, list[dict[str, Any]]],
    name: str,
    status: str,
    expression: str,
    shown: list[str],
) -> None:
    show_list(browser, listener, 4)
    browser.find_element(By.CSS_SELECTOR, ".filter-name").send_keys(name)
    Select(browser.find_element(By.CSS_SELECTOR, ".filter-status")).select_by_value(status)
    browser.find_element(By.CSS_SELECTOR, ".filter-expression").send_keys(expression)
    ids = {doc[0]["trace_id"]: key for key, doc in demo.items()}
    assert sorted(ids[row["id"]] for row in list_rows(browser)) == shown
    assert browser.find_element(By.CSS_SELECTOR, ".filter-problem").text == ""


def test_a_bad_filter_expression_says_why(
    browser: Any, listener: ViewerListener, demo: Any
) -> None:
    show_list(browser, listener, 4)
    browser.find_element(By.CSS_SELECTOR, ".filter-expression").send_keys("annotation.customer =")
    assert browser.find_element(By.CSS_SELECTOR, ".filter-problem").text == (
        "filter: a value must follow ="
    )
    assert len(list_rows(browser)) == 4


def waterfall(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script(
        """return [...document.querySelectorAll(".wf-row:not(.wf-axis)")].map((row) => ({
            name: row.querySelector(".label").textContent,
            kind: row.dataset.kind,
            indent: parseFloat(row.querySelector(".wf-name").style.paddingLeft),
            tags: [...row.querySelectorAll(".tag")].map((t) => t.textContent),
            bar: row.querySelector(".wf-bar").getBoundingClientRect().width,
            left: row.querySelector(".wf-bar").getBoundingClientRect().left
                - row.querySelector(".wf-track").getBoundingClientRect().left,
            track: row.querySelector(".wf-track").getBoundingClientRect().width,
            duration: row.querySelector(".wf-duration").textContent,
            inProgress: row.querySelector(".wf-bar").classList.contains("in-progress"),
        }));"""
    )


def open_trace(
    driver: Any, listener: ViewerListener, trace_id: str, held: int = 4
) -> list[dict[str, Any]]:
    """Open ``trace_id`` from the list, which shows ``held`` traces."""
    show_list(driver, listener, held)
    driver.find_element(By.CSS_SELECTOR, f'tr[data-trace-id="{trace_id}"]').click()
    wait(driver, "return document.querySelectorAll('.wf-row:not(.wf-axis)').length > 0")
    return waterfall(driver)


def test_the_waterfall_draws_each_entity_under_its_parent_with_bars_to_scale(
    browser: Any, listener: ViewerListener, demo: dict[str, list[dict[str, Any]]]
) -> None:
    rows = open_trace(browser, listener, demo["inventory"][0]["trace_id"])
    assert [(r["name"], r["kind"], r["indent"]) for r in rows] == [
        ("inventory", "segment", 8),
        ("fastapi.dependencies", "embedded", 24),
        ("fastapi.endpoint", "embedded", 24),
        ("stock", "embedded", 40),
        ("stock", "segment", 56),
        ("postgres@db", "embedded", 72),
        ("DynamoDB", "embedded", 40),
        ("fastapi.serialization", "embedded", 24),
    ]
    # Durations in ms, and starts, from the documents: bars are in proportion.
    expected = [(120, 0), (2, 2), (105, 5), (50, 10), (40, 15), (30, 20), (30, 65), (3, 111)]
    scale = rows[0]["track"] / 120
    for row, (duration, start) in zip(rows, expected, strict=True):
        assert row["bar"] == pytest.approx(duration * scale, abs=1.0), row
        assert row["left"] == pytest.approx(start * scale, abs=1.0), row
    assert rows[4]["duration"] == "40.0 ms 200"


def test_the_waterfall_marks_independent_and_in_progress_entities(
    browser: Any, listener: ViewerListener, demo: dict[str, list[dict[str, Any]]]
) -> None:
    rows = open_trace(browser, listener, demo["refresh"][0]["trace_id"])
    assert [(r["name"], r["kind"], r["indent"], r["inProgress"]) for r in rows] == [
        ("inventory", "segment", 8, False),
        ("Create Task: refresh_cache", "embedded", 24, False),
        ("inventory", "segment", 40, False),
        ("cache.write", "independent", 56, False),
        ("cache.flush", "independent", 56, True),
    ]
    assert rows[3]["tags"] == ["independent"]
    flush = rows[4]
    assert flush["duration"] == "in progress"
    # In progress: the bar runs from its start (32 ms) to the trace's last known time (46 ms).
    scale = rows[0]["track"] / 46
    assert flush["left"] == pytest.approx(32 * scale, abs=1.0)
    assert flush["bar"] == pytest.approx(14 * scale, abs=1.0)


def panel_sections(driver: Any) -> dict[str, str]:
    pairs = driver.execute_script(
        """return [...document.querySelectorAll(".details .field-section")].map(
            (s) => [s.dataset.section, s.innerText]);"""
    )
    return dict(pairs)


def test_clicking_a_row_shows_the_entity_fields(
    browser: Any, listener: ViewerListener, demo: dict[str, list[dict[str, Any]]]
) -> None:
    open_trace(browser, listener, demo["inventory"][0]["trace_id"])
    browser.find_elements(By.CSS_SELECTOR, ".wf-row:not(.wf-axis)")[6].click()
    wait(browser, "return document.querySelector('.details.open h2')")
    assert browser.find_element(By.CSS_SELECTOR, ".details h2").text == "DynamoDB"
    sections = panel_sections(browser)
    assert list(sections) == ["Overview", "http", "aws"]
    assert "operation\tGetItem" in sections["aws"]
    assert "table_name\titems" in sections["aws"]
    assert "namespace\taws" in sections["Overview"]

    browser.find_elements(By.CSS_SELECTOR, ".wf-row:not(.wf-axis)")[5].click()
    wait(browser, "return document.querySelector('.details h2').textContent === 'postgres@db'")
    assert "sanitized_query\tSELECT count FROM stock" in panel_sections(browser)["sql"]

    open_trace(browser, listener, demo["boom"][0]["trace_id"])
    browser.find_elements(By.CSS_SELECTOR, ".wf-row:not(.wf-axis)")[0].click()
    wait(browser, "return document.querySelector('.details.open .cause')")
    cause = panel_sections(browser)["cause"]
    assert "RuntimeError: the kettle is broken" in cause
    assert "boom\texamples/fastapi/app.py:54" in cause
    assert "run_endpoint_function\tfastapi/routing.py:381" in cause


def map_edges(driver: Any) -> list[list[str]]:
    return driver.execute_script(
        """return [...document.querySelectorAll(".edge-table tbody tr")].map(
            (tr) => [...tr.cells].slice(0, 5).map((td) => td.textContent));"""
    )


def test_the_service_map_has_a_node_per_service_and_an_edge_per_call(
    browser: Any, listener: ViewerListener, demo: Any
) -> None:
    browser.get(listener.url + "#/map")
    wait(browser, "return document.querySelectorAll('.edge-table tbody tr').length === 5")
    assert sorted(map_edges(browser)) == [
        ["Client (client)", "inventory", "4", "1 (25%)", "1 (25%)"],
        ["inventory", "DynamoDB (aws)", "1", "0 (0%)", "0 (0%)"],
        ["inventory", "inventory", "1", "0 (0%)", "0 (0%)"],
        ["inventory", "stock (AWS::EC2::Instance)", "1", "0 (0%)", "0 (0%)"],
        ["stock (AWS::EC2::Instance)", "postgres@db (remote)", "1", "0 (0%)", "0 (0%)"],
    ]
    drawn = browser.execute_script(
        """return {
            nodes: [...document.querySelectorAll("svg .node .node-name")]
                .map((t) => t.textContent).sort(),
            edges: document.querySelectorAll("svg .edge path").length,
            inventory: [".node-facts", ".node-ratios"].map((c) => document.querySelector(
                'svg .node[data-node-id="service:inventory"] ' + c).textContent),
        };"""
    )
    assert drawn["nodes"] == ["Client", "DynamoDB", "inventory", "postgres@db", "stock"]
    assert drawn["edges"] == 5
    assert drawn["inventory"][0].startswith("5 requests · avg ")
    assert drawn["inventory"][1] == "20% errors · 20% faults"


def test_new_documents_show_without_reloading(browser: Any, listener: ViewerListener) -> None:
    listener.send(*traces.boom_trace())
    show_list(browser, listener, 1)
    browser.execute_script("window.__same_page = true")
    listener.send(*traces.missing_trace())
    wait(browser, "return document.querySelectorAll('table.traces tbody tr').length === 2")
    assert browser.execute_script("return window.__same_page") is True


def test_an_open_waterfall_grows_as_its_trace_arrives(
    browser: Any, listener: ViewerListener
) -> None:
    root, task, write, flush = traces.refresh_trace()
    listener.send(root)
    assert len(open_trace(browser, listener, root["trace_id"], held=1)) == 2
    listener.send(task, write, flush)
    wait(browser, "return document.querySelectorAll('.wf-row:not(.wf-axis)').length === 5")
    assert [row["name"] for row in waterfall(browser)][2:] == [
        "inventory",
        "cache.write",
        "cache.flush",
    ]


def test_hostile_text_is_shown_as_text_and_never_runs(
    browser: Any, listener: ViewerListener
) -> None:
    hostile = traces.hostile_trace()
    listener.send(*hostile, traces.hostile_rejected())
    rows = show_list(browser, listener, 1)
    assert rows[0]["cells"][3:5] == [traces.SCRIPT, "http://x/" + traces.IMAGE]
    browser.find_element(By.CSS_SELECTOR, "tr.trace").click()
    wait(browser, "return document.querySelector('.wf-row:not(.wf-axis)')")
    browser.find_elements(By.CSS_SELECTOR, ".wf-row:not(.wf-axis)")[0].click()
    wait(browser, "return document.querySelector('.details.open .cause')")
    sections = panel_sections(browser)
    assert f"{traces.SCRIPT}: {traces.IMAGE}" in sections["cause"]
    assert f"note\t{traces.IMAGE}" in sections["annotations"]
    assert f"{traces.SCRIPT}\t{traces.IMAGE}" in sections["metadata"]
    assert (
        browser.execute_script(
            "return document.querySelectorAll('main script, main img, main iframe').length"
        )
        == 0
    )

    browser.get(listener.url + "#/invalid")
    wait(browser, "return document.querySelector('article.rejected')")
    reasons = browser.find_element(By.CSS_SELECTOR, "article.rejected .reasons").text
    assert "name: characters not allowed: '<' '>'" in reasons
    assert "annotations[" in reasons
    browser.find_element(By.CSS_SELECTOR, "article.rejected summary").click()
    assert traces.SCRIPT in browser.find_element(By.CSS_SELECTOR, "article.rejected pre").text
    assert browser.execute_script("return window.__xss") is None


def test_traces_past_the_bound_are_evicted_and_counted(browser: Any) -> None:
    small = ViewerListener("--ui-traces", "3")
    try:
        sent = [traces.missing_trace()[0] for _ in range(5)]
        small.send(*sent)
        rows = show_list(browser, small, 3)
        assert {row["id"] for row in rows} == {doc["trace_id"] for doc in sent[2:]}
        assert "2 traces evicted (oldest first)" in browser.find_element(By.ID, "stats").text
        assert small.api("status")["evicted_traces"] == 2
    finally:
        small.kill()
