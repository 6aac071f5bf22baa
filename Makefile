# Two commands on a fresh machine: `make demo` and `make test` (both set up .venv as needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SALESOPS := $(BIN)/salesops

DB     := data/salesops.duckdb

.PHONY: install demo test test-fast doctest lint format bench notebooks reports clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,fast]"
	@touch $(STAMP)

install: $(STAMP)

# the sample org (notebooks default to it; nbval runs them against it)
$(DB): $(STAMP)
	$(SALESOPS) data generate

## demo: generate the sample org, load the Maven CRM sample, run every report
demo: install
	$(SALESOPS) data generate
	$(SALESOPS) data validate
	@if [ -d "$$($(BIN)/python -c 'from salesops_models import config; print(config.MAVEN_DIR)')" ]; then \
		$(SALESOPS) data load maven; \
	else echo "Maven CRM sample not found beside the repository: skipped"; fi
	$(SALESOPS) data quality --plot reports/data_quality/quality.png
	$(SALESOPS) comp statements --plan plans/ae_standard.yml --period 2026-Q3
	$(SALESOPS) forecast backtest --db data/salesops.duckdb --quarters 8
	@if [ -f data/maven.duckdb ]; then $(SALESOPS) forecast backtest --db data/maven.duckdb --quarters 3; fi
	$(SALESOPS) plan backtest --db data/salesops.duckdb --quarters 8
	$(SALESOPS) report run-all
	@echo
	@echo "Sample org store : data/salesops.duckdb (ground truth: truth_* tables, data/salesops.truth.json)"
	@echo "Maven CRM store  : data/maven.duckdb"
	@echo "Quality chart    : reports/data_quality/quality.png"
	@echo "Comp statements  : reports/comp/2026-Q3/statements.xlsx, payroll.csv"
	@echo "Forecast backtest: reports/forecast/backtest_salesops.csv, backtest_maven.csv"
	@echo "Plan backtest    : reports/plan/backtest_salesops.csv"
	@echo "Forecast ledger  : reports/forecast_ledger.jsonl"
	@echo "Health scorecard : reports/health-month-end/<as_of>/report.html and health.json (bands: health_bands.yml)"
	@echo "Reports index    : reports/index.html (open it in a browser)"

## reports: run what reports.yml says is due (for cron)
reports: install
	$(SALESOPS) report run-due

## notebooks: regenerate the .ipynb files from their jupytext .py sources (no outputs)
notebooks: install
	$(BIN)/jupytext --sync notebooks/*.py

## test: the whole suite (slow tests and nbval of every notebook included), then the doctests
test: install $(DB)
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory doctest

## doctest: the Examples sections of the package's docstrings
doctest: install
	$(BIN)/python -m pytest --doctest-modules salesops_models -q -p no:cacheprovider

## test-fast: skip the slow marker
test-fast: install $(DB)
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_capacity.py
	$(BIN)/python benchmarks/bench_comp.py
	$(BIN)/python benchmarks/bench_statements.py
	$(BIN)/python benchmarks/bench_territory.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_health.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
