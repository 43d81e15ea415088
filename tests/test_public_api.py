"""The public face: ``xraysink.__all__`` lists exactly the public names, sorted
(httpx's ``tests/test_exported_members.py`` rule), and each one resolves."""

from __future__ import annotations

import subprocess
import sys
import types

import xraysink


def test_all_is_sorted_and_complete() -> None:
    assert xraysink.__all__ == sorted(xraysink.__all__)
    public = {
        name
        for name in dir(xraysink)
        if not name.startswith("_") and not isinstance(getattr(xraysink, name), types.ModuleType)
    }
    public.add("__version__")
    assert public == set(xraysink.__all__)


def test_every_public_name_resolves_and_names_itself() -> None:
    for name in xraysink.__all__:
        value = getattr(xraysink, name)
        if name != "__version__":
            assert value.__name__ == name


def test_import_costs_no_opentelemetry_sdk() -> None:
    code = "import sys, xraysink; print('opentelemetry.sdk' in sys.modules, xraysink.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", xraysink.__version__]
