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

test: lint
	$(VENV)/bin/pytest -q

# Benchmarks (issue 5): markdown tables on stdout; `make bench BENCH_ARGS=--quick` for a short run.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(VENV)/bin/pip install -q -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS)
