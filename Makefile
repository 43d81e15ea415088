# Two entry points (see README): `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

# .venv holds the compiled build (setup.py, XRAYSINK_COMPILE=1): the demo and the
# benchmarks run it, and so does the default version's test run; the other versions'
# venvs test the pure-Python package. The compiled modules are rebuilt in place when
# a source changes (tests/conftest.py refuses to run stale ones).
$(STAMP): pyproject.toml setup.py build_backend.py $(shell find xraysink -name '*.py')
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	XRAYSINK_COMPILE=1 $(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

.PHONY: demo test lint bench
demo: $(STAMP)
	$(VENV)/bin/xraysink demo

LINTED := xraysink tests examples benchmarks setup.py build_backend.py
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

# The suite runs once per supported Python (README "Supported versions"), each in
# its own venv; `make test SUPPORTED=3.11` runs one.
SUPPORTED ?= 3.10 3.11 3.12 3.13

# pip is upgraded first: the one that ships with Python 3.10 (23.0.1) ran for over 10
# minutes on this project's extras before it was stopped.
.venv-%/.installed: pyproject.toml setup.py build_backend.py
	"$$(tools/find-python $*)" -m venv .venv-$*
	.venv-$*/bin/pip install -q --upgrade pip
	.venv-$*/bin/pip install -q -e '.[test]'
	touch $@

.PRECIOUS: .venv-%/.installed

test: lint $(SUPPORTED:%=pytest-%)

# The version of $(PYTHON) reuses .venv (one install fewer in CI).
DEFAULT_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv_for = $(if $(filter $(DEFAULT_VERSION),$(1)),$(VENV),.venv-$(1))
# tests/test_build.py checks that the build is the one each venv was made with.
compile_for = XRAYSINK_COMPILE=$(if $(filter $(DEFAULT_VERSION),$(1)),1,0)

.SECONDEXPANSION:
pytest-%: $$(call venv_for,$$*)/.installed
	@echo "== Python $* =="
	$(call compile_for,$*) $(call venv_for,$*)/bin/pytest -q

# Soak test (issue 4 §4): XRAYSINK_SOAK_REQUESTS (default 100000), XRAYSINK_SOAK_CONCURRENCY (64).
.PHONY: soak
soak: $(STAMP)
	$(VENV)/bin/pytest -q -s -m soak tests/soak

# Benchmarks (issue 5): markdown tables on stdout; `make bench BENCH_ARGS=--quick` for a short run.
bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS)
