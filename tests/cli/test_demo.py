"""``xraysink demo`` as a user runs it, and from a wheel rather than a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.servers import ROOT


def test_demo_traces_every_request_and_writes_the_viewer_page(tmp_path: Path) -> None:
    page = tmp_path / "demo.html"
    done = subprocess.run(
        [sys.executable, "-m", "xraysink.cli", "demo", "--html", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # nothing of the checkout is needed beside the installed package
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " 0 invalid, 0 missing" in done.stdout
    assert f"file://{page.resolve()}" in done.stdout
    text = page.read_text()
    assert "xraysink-demo" in text and 'id="xraysink-data"' in text


def test_the_wheel_ships_the_demo_app_and_the_viewer_page(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("xraysink-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "xraysink/cli/demo_app.py",
        "xraysink/py.typed",
        "xraysink/viewer/static/index.html",
        "xraysink/viewer/static/app.js",
        "xraysink/viewer/static/style.css",
    } <= names
