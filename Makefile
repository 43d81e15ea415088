# Two entry points (see README): `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

.PHONY: demo test lint bench
demo: $(STAMP)
	$(VENV)/bin/xraysink demo

lint: $(STAMP)
	$(VENV)/bin/ruff check xraysink tests examples benchmarks
	$(VENV)/bin/ruff format --check xraysink tests examples benchmarks
	$(VENV)/bin/mypy

# The suite runs once per supported Python (README "Supported versions"), each in
# its own venv; `make test SUPPORTED=3.11` runs one.
SUPPORTED ?= 3.10 3.11 3.12 3.13

.venv-%/.installed: pyproject.toml
	"$$(tools/find-python $*)" -m venv .venv-$*
	.venv-$*/bin/pip install -q --upgrade pip
	.venv-$*/bin/pip install -q -e '.[dev]'
	touch $@

.PRECIOUS: .venv-%/.installed

test: lint $(SUPPORTED:%=pytest-%)

# The version of $(PYTHON) reuses .venv (one install fewer in CI).
DEFAULT_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv_for = $(if $(filter $(DEFAULT_VERSION),$(1)),$(VENV),.venv-$(1))

.SECONDEXPANSION:
pytest-%: $$(call venv_for,$$*)/.installed
	@echo "== Python $* =="
	$(call venv_for,$*)/bin/pytest -q

# Soak test (issue 4 §4): XRAYSINK_SOAK_REQUESTS (default 100000), XRAYSINK_SOAK_CONCURRENCY (64).
.PHONY: soak
soak: $(STAMP)
	$(VENV)/bin/pytest -q -s -m soak tests/soak

# Benchmarks (issue 5): markdown tables on stdout; `make bench BENCH_ARGS=--quick` for a short run.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(VENV)/bin/pip install -q -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS)
