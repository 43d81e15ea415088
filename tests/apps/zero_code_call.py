"""A script with no tracing code, for the zero-code tests: ``opentelemetry-instrument
python zero_code_call.py URL`` gets ``URL`` with ``requests`` and prints the status."""

from __future__ import annotations

import sys

import requests

print(requests.get(sys.argv[1], timeout=10).status_code)
