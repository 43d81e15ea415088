# Two entry points (see README): `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

# .venv (python3's own version) runs the demo, the linters and the benchmarks; the
# package is installed editable, so an edit needs no reinstall.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

.PHONY: demo test lint bench
demo: $(STAMP)
	$(VENV)/bin/xraysink demo

LINTED := xraysink tests examples benchmarks tools
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

# The suite runs once per supported Python (README "Supported versions"), each in
# its own venv; `make test SUPPORTED=3.11` runs one.
SUPPORTED ?= 3.10 3.11 3.12 3.13

# pip is upgraded first: the one that ships with Python 3.10 (23.0.1) ran for over 10
# minutes on this project's extras before it was stopped.
.venv-%/.installed: pyproject.toml
	"$$(tools/find-python $*)" -m venv .venv-$*
	.venv-$*/bin/pip install -q --upgrade pip
	.venv-$*/bin/pip install -q -e '.[test]'
	touch $@

.PRECIOUS: .venv-%/.installed

test: lint browser $(SUPPORTED:%=pytest-%)

# The viewer's tests drive Debian's Chromium through its ChromeDriver.
.PHONY: browser
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

# The version of $(PYTHON) reuses .venv (one install fewer in CI).
DEFAULT_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv_for = $(if $(filter $(DEFAULT_VERSION),$(1)),$(VENV),.venv-$(1))

.SECONDEXPANSION:
pytest-%: $$(call venv_for,$$*)/.installed
	@echo "== Python $* =="
	$(call venv_for,$*)/bin/pytest -q

# Soak test: XRAYSINK_SOAK_REQUESTS (default 100000), XRAYSINK_SOAK_CONCURRENCY (64).
.PHONY: soak
soak: $(STAMP)
	$(VENV)/bin/pytest -q -s -m soak tests/soak

# Benchmarks: markdown tables on stdout; `make bench BENCH_ARGS=--quick` for a short run.
bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS)
