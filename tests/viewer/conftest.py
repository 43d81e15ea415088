"""A real ``xraysink listen --ui`` process and a real headless Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.listener import Listener
from tests.documents import datagram

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class ViewerListener(Listener):
    """``python -m xraysink.cli listen --ui`` on free ports, its output read in the
    background."""

    line_timeout = 15.0

    def __init__(self, *extra: str) -> None:
        super().__init__("--ui", "--ui-address", "127.0.0.1:0", "--settle", "0.1", *extra)
        line = self.next_line()
        while not line.startswith("viewer on "):
            line = self.next_line()
        self.url = line.removeprefix("viewer on ")
        self.sent = 0

    def send(self, *docs: dict[str, Any] | bytes) -> None:
        """Send each document (or raw payload) as one datagram and wait until the viewer
        has received them all."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for doc in docs:
                payload = doc if isinstance(doc, bytes) else datagram(doc)
                sock.sendto(payload, ("127.0.0.1", self.port))
        self.sent += len(docs)
        deadline = time.monotonic() + 10
        while self.api("status")["received"] < self.sent:
            assert time.monotonic() < deadline, "the viewer did not receive every datagram"
            time.sleep(0.05)

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + "api/" + path, timeout=5) as response:
            return json.loads(response.read())


@pytest.fixture
def listener() -> Iterator[ViewerListener]:
    started = ViewerListener()
    yield started
    started.kill()


def chromium_driver() -> Any:
    """A headless Chromium (Selenium WebDriver) with a fresh profile; quit it after use.
    Skips the test when Chromium is not installed."""
    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} is missing: the viewer tests need Chromium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    profile = tempfile.mkdtemp(prefix="xraysink-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.profile_dir = profile
    return driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = chromium_driver()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)
