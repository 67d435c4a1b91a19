# riskwarn — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOME_DIR ?= var/demo
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(BIN)/riskwarn: pyproject.toml requirements/lock.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/lock.txt -e '.[dev]'
	@touch $@

setup: $(BIN)/riskwarn ## create .venv and install riskwarn with its pinned dependencies

demo: setup ## the main job end to end on a small simulated province: ingest, text scores, indicators, models, scores
	$(BIN)/python -m riskwarn.demo --home $(HOME_DIR)

test: setup ## run the whole test suite (slow end-to-end tests included)
	$(BIN)/python -m pytest -q

test-fast: setup ## run the suite without the slow end-to-end tests
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup ## ruff and mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

BENCH_DIR ?= var/bench
bench: setup ## run every benchmark at a small size (benchmarks/README.md gives full-size runs)
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	$(BIN)/python benchmarks/bench_simulate.py --entities 20000 --months 36 --out $(BENCH_DIR)/sim
	$(BIN)/python benchmarks/bench_ingest.py --data $(BENCH_DIR)/sim --home $(BENCH_DIR)/home
	$(BIN)/python benchmarks/bench_text.py --texts 50000 --store-rows 50000 --sim $(BENCH_DIR)/sim
	$(BIN)/python benchmarks/bench_features.py --subjects 200000 --events 2000000 --dir $(BENCH_DIR)/features
	$(BIN)/python benchmarks/bench_train.py --rows 100000

Q_DIR ?= var/quality
Q_ENTITIES ?= 200000
Q_SEED ?= 11
Q_FOLDS ?= 1
quality: setup ## the model-quality run: simulate 200k subjects × 36 months, ingest, train against the truth
	rm -rf $(Q_DIR) && mkdir -p $(Q_DIR)
	$(BIN)/riskwarn simulate --entities $(Q_ENTITIES) --months 36 --seed $(Q_SEED) --out $(Q_DIR)/sim
	$(BIN)/riskwarn ingest $(Q_DIR)/sim/deliveries --home $(Q_DIR)/home
	printf 'splits:\n  folds: $(Q_FOLDS)\n' > $(Q_DIR)/quality.yaml
	$(BIN)/riskwarn train --home $(Q_DIR)/home --truth $(Q_DIR)/sim/truth --cards-dir $(Q_DIR)/cards --config $(Q_DIR)/quality.yaml

clean: ## remove the demo data directory
	rm -rf $(HOME_DIR)

.PHONY: help setup demo test test-fast lint bench quality clean
