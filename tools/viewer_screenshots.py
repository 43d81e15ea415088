"""Screenshots of the trace viewer for docs/: the list, a waterfall with a row's fields
open, and the service map, from a real ``xraysink listen --ui`` fed the tests' demo-like
traces, in headless Chromium.

Run from the repository root: ``PYTHONPATH=. python tools/viewer_screenshots.py``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.viewer import traces
from tests.viewer.conftest import ViewerListener, chromium_driver

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    listener = ViewerListener()
    driver = chromium_driver()
    try:
        sent = traces.demo_like()
        for docs in sent.values():
            listener.send(*docs)
        listener.send(*traces.inventory_trace(), *traces.missing_trace())
        driver.set_window_size(1400, 760)
        driver.get(listener.url + "#/traces")
        time.sleep(1.5)
        driver.save_screenshot(str(DOCS / "viewer-list.png"))
        inventory = sent["inventory"][0]
        dynamo = inventory["subsegments"][1]["subsegments"][1]
        driver.get(listener.url + f"#/trace/{inventory['trace_id']}/{dynamo['id']}")
        time.sleep(1.5)
        driver.save_screenshot(str(DOCS / "viewer-waterfall.png"))
        driver.set_window_size(1400, 900)
        driver.get(listener.url + "#/map")
        time.sleep(1.5)
        driver.save_screenshot(str(DOCS / "viewer-map.png"))
    finally:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)
        listener.kill()


if __name__ == "__main__":
    main()
