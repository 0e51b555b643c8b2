# kubesweep — developer commands. `make test` is what CI runs (.ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install test lint unit testbed-tests crds chart-schema bench bench-quick bench-quick-all bench-install bench-curves clean testbed-build testbed-up testbed-down demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) ## the virtualenv in .venv with kubesweep and the dev tools

test: install lint unit testbed-tests ## everything CI checks

lint: install ## ruff, mypy --strict, import-linter contracts
	$(BIN)/ruff check operator tests examples testbed tools benchmarks
	$(BIN)/ruff format --check operator tests examples testbed tools benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install ## the unit tests of the pure core, the API models and the CLI
	$(BIN)/pytest tests/unit

bench-install: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'

bench-quick: bench-install ## the suite's quick variant: samplers and latency, early termination, against Optuna (1-2 min)
	$(BIN)/python benchmarks/samplers.py --quick --output benchmarks/results/samplers-quick.md \
		--plot benchmarks/results/samplers-quick.png
	$(BIN)/python benchmarks/pruners.py --quick --output benchmarks/results/pruners-quick.md

bench-quick-all: bench-quick ## and the studies' quick variants: failed trials, flat results, repeats, noise, quantised, choices of numbers, trials that end one by one (4-7 min in all)
	$(BIN)/python benchmarks/failures.py --quick --output benchmarks/results/failures-quick.md
	$(BIN)/python benchmarks/plateau.py --quick --output benchmarks/results/plateau-quick.md
	$(BIN)/python benchmarks/repeats.py --quick --output benchmarks/results/repeats-quick.md
	$(BIN)/python benchmarks/noise.py --quick --output benchmarks/results/noise-quick.md
	$(BIN)/python benchmarks/quantised.py --quick --output benchmarks/results/quantised-quick.md
	$(BIN)/python benchmarks/ordered.py --quick --output benchmarks/results/ordered-quick.md
	$(BIN)/python benchmarks/asynchronous.py --quick --output benchmarks/results/asynchronous-quick.md

bench: bench-install ## the full suite against Optuna (about 75 min on 2 cores)
	$(BIN)/python benchmarks/samplers.py --output benchmarks/results/samplers.md \
		--plot benchmarks/results/samplers.png --raw benchmarks/results/samplers.json
	$(BIN)/python benchmarks/pruners.py --output benchmarks/results/pruners.md
	$(BIN)/python benchmarks/failures.py --output benchmarks/results/failures.md
	$(BIN)/python benchmarks/plateau.py --output benchmarks/results/plateau.md
	$(BIN)/python benchmarks/repeats.py --output benchmarks/results/repeats.md
	$(BIN)/python benchmarks/noise.py --output benchmarks/results/noise.md
	$(BIN)/python benchmarks/quantised.py --output benchmarks/results/quantised.md
	$(BIN)/python benchmarks/ordered.py --output benchmarks/results/ordered.md
	$(BIN)/python benchmarks/asynchronous.py --output benchmarks/results/asynchronous.md

bench-curves: bench-install ## regenerate the learning curves the pruner replay uses (~20 s)
	$(BIN)/python benchmarks/curves.py

crds: install ## regenerate crds/ and the chart's copy from the API models
	$(BIN)/kubesweep crds --output crds
	$(BIN)/kubesweep crds --output charts/kubesweep/files/crds

chart-schema: install ## regenerate the chart's values.schema.json from values.yaml
	$(BIN)/python tools/chart_schema.py

testbed-tests: install ## tests against the local testbed (started, or reused when up)
	$(BIN)/pytest tests/testbed

testbed-build: ## build the local control plane's binaries (cached in ~/.cache/kubesweep)
	bash testbed/build.sh

testbed-up: install ## start the local cluster: control plane, kwok GPU nodes, Prometheus
	$(BIN)/python -m testbed up

demo: install ## run the digits sweep on the local cluster and print the best trial
	$(BIN)/python -m testbed.demo

testbed-down: install ## stop the local cluster and remove .testbed/
	$(BIN)/python -m testbed down

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
