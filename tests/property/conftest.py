"""Hypothesis profiles for the property tests.

``HYPOTHESIS_PROFILE`` picks one: ``xraysink`` (default) keeps the suite at a few
seconds; ``thorough`` runs many more examples (``make`` does not use it; run
``HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/property``). No deadline: the
machines running the suite are shared and their timings noisy.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "xraysink", max_examples=40, deadline=None, suppress_health_check=_SLOW_DATA
)
settings.register_profile(
    "thorough", max_examples=5_000, deadline=None, suppress_health_check=_SLOW_DATA
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "xraysink"))
