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

install-test: $(BIN)/python
	@bash scripts/system-deps.sh --test
	$(BIN)/pip install -q -e ".[test]"
	@# axe-core for the web's accessibility test (tests only; pinned by tests/js/package-lock.json)
	@if command -v npm >/dev/null; then npm ci --silent --no-audit --no-fund --prefix tests/js; \
	  else echo "npm not found: the accessibility test will skip"; fi

demo: install
	$(BIN)/forcestat demo --out $(OUT)
	@echo "Serve the demo store: $(BIN)/forcestat users add admin --role admin --db $(OUT)/forcestat.duckdb && $(BIN)/forcestat serve --db $(OUT)/forcestat.duckdb --port 8000"

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
	@bash scripts/system-deps.sh --bench
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/measures.py
	$(BIN)/python bench/demand.py
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/backends.py --rows 1000000,10000000
	$(BIN)/python bench/web.py

clean:
	rm -rf $(OUT) forcestat.duckdb .pytest_cache
