# Two commands on a fresh machine: `make demo` and `make test` (both set up .venv as needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SALESOPS := $(BIN)/salesops

DB     := data/salesops.duckdb

.PHONY: install demo backtest calibrate docs test test-fast doctest lint format bench notebooks reports clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,fast,docs,warehouse,dask]"
	@touch $(STAMP)

KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py

$(KERNEL_CONFIG): salesops_models/reports/kernel_config.py $(STAMP)
	@mkdir -p $(dir $@)
	@cp $< $@

# the forecast model compiled once at install (~25 s), so the first forecast loads it from
# this machine's compile cache instead of compiling
WARM := $(VENV)/.compiled

$(WARM): $(STAMP) $(wildcard salesops_models/forecast/*.py) salesops_models/bayes.py
	$(SALESOPS) compile-cache --warm
	@touch $(WARM)

install: $(STAMP) $(KERNEL_CONFIG) $(WARM)

# the sample org (notebooks default to it; nbval runs them against it)
$(DB): $(STAMP)
	$(SALESOPS) data generate

## demo: generate the sample org, load the Maven CRM sample, run every report (the 8-quarter
## backtests are `make backtest`; a second demo reuses every report whose inputs are unchanged)
demo: install
	@echo "==> [1/6] sample org: data/salesops.duckdb"
	$(SALESOPS) data generate
	@echo "==> [2/6] validate it"
	$(SALESOPS) data validate
	@echo "==> [3/6] Maven CRM sample: data/maven.duckdb"
	@if [ -d "$$($(BIN)/python -c 'from salesops_models import config; print(config.MAVEN_DIR)')" ]; then \
		$(SALESOPS) data load maven; \
	else echo "Maven CRM sample not found beside the repository: skipped"; fi
	@echo "==> [4/6] data quality chart"
	$(SALESOPS) data quality --plot reports/data_quality/quality.png
	@echo "==> [5/6] comp statements 2026-Q3"
	$(SALESOPS) comp statements --plan plans/ae_standard.yml --period 2026-Q3
	@echo "==> [6/6] every report of reports.yml (unchanged ones reused)"
	$(SALESOPS) report run-all --reuse --skip-missing-stores
	@echo
	@echo "Sample org store : data/salesops.duckdb (ground truth: truth_* tables, data/salesops.truth.json)"
	@echo "Maven CRM store  : data/maven.duckdb"
	@echo "Quality chart    : reports/data_quality/quality.png"
	@echo "Comp statements  : reports/comp/2026-Q3/statements.xlsx, payroll.csv"
	@echo "Forecast ledger  : reports/forecast_ledger.jsonl"
	@echo "Health scorecard : reports/health-month-end/<as_of>_salesops/report.html and health.json (bands: health_bands.yml)"
	@echo "Reports index    : reports/index.html (open it in a browser)"
	@echo "Accuracy track records (forecast and plan backtests, ~15 min on 2 cores): make backtest"

## backtest: the forecast's and the plan's 8-quarter backtests (the sample org; Maven's 3
## quarters when loaded), then the reports that show them
backtest: install $(DB)
	@echo "==> [1/4] forecast backtest, sample org (8 quarters x 3 points)"
	$(SALESOPS) forecast backtest --db data/salesops.duckdb --quarters 8
	@echo "==> [2/4] forecast backtest, Maven (3 quarters)"
	@if [ -f data/maven.duckdb ]; then $(SALESOPS) forecast backtest --db data/maven.duckdb --quarters 3; \
	else echo "no data/maven.duckdb (make demo loads it): skipped"; fi
	@echo "==> [3/4] plan backtest, sample org"
	$(SALESOPS) plan backtest --db data/salesops.duckdb --quarters 8
	@echo "==> [4/4] reports that show accuracy (the others reused)"
	$(SALESOPS) report run-all --reuse --skip-missing-stores
	@echo
	@echo "Forecast backtest: reports/forecast/backtest_salesops.csv, backtest_maven.csv (+ _summary.csv)"
	@echo "Plan backtest    : reports/plan/backtest_salesops.csv"
	@echo "Reports index    : reports/index.html"

## calibrate: the forecast's calibration study: the 8-quarter backtest on five synthetic orgs
## (the sample org's seed and four others) pooled, 40 org-quarters per point (~18 min on 2
## cores), then the forecast report that shows it
calibrate: install $(DB)
	@echo "==> [1/2] forecast backtest on 5 synthetic orgs (8 quarters x 3 points each)"
	$(SALESOPS) forecast calibrate
	@echo "==> [2/2] reports that show it (the others reused)"
	$(SALESOPS) report run-all --reuse --skip-missing-stores
	@echo
	@echo "Calibration study: reports/forecast/calibration_synthetic.csv (+ .png)"
	@echo "Reports index    : reports/index.html"

## docs: the documentation site in site/ (docstrings, tutorials executed on the sample org;
## strict: a broken reference fails the build)
docs: install $(DB)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build
	@echo "docs: site/index.html (open it in a browser)"

## reports: run what reports.yml says is due (for cron)
reports: install
	$(SALESOPS) report run-due

## notebooks: regenerate the .ipynb files from their jupytext .py sources (no outputs)
notebooks: install
	$(BIN)/jupytext --sync notebooks/*.py notebooks/tutorials/*.py

## test: the whole suite (slow tests and nbval of every notebook included), then the doctests
test: install $(DB)
	$(BIN)/python -m pytest --durations=25
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
