# Two commands: `make demo` (install, build a seed-calibrated store, write the board report)
# and `make test` (install test extras, lint, type-check, run every test).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out

.PHONY: install install-test system-deps demo test lint bench clean snapshots

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

system-deps:
	@bash scripts/system-deps.sh

install: $(BIN)/python system-deps
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python system-deps
	$(BIN)/pip install -q -e ".[test]"

demo: install
	$(BIN)/forcestat demo --out $(OUT)

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: install-test lint
	bash scripts/run-tests.sh

# After an intended change to a measure's query: rewrite the SQL snapshots, then read the diff.
snapshots: install-test
	$(BIN)/python -m pytest tests/test_measures_sql.py --snapshot-update -q

bench: install-test
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/measures.py
	$(BIN)/python bench/demand.py
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/backends.py --rows 1000000,10000000

clean:
	rm -rf $(OUT) forcestat.duckdb .pytest_cache
