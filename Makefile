# kubesweep — developer commands. `make test` is what CI runs (.ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install test lint unit crds check-crds clean testbed-build

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) ## the virtualenv in .venv with kubesweep and the dev tools

test: install lint unit ## everything CI checks

lint: install ## ruff, mypy --strict, import-linter contracts
	$(BIN)/ruff check operator tests examples
	$(BIN)/ruff format --check operator tests examples
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install ## the unit tests of the pure core, the API models and the CLI
	$(BIN)/pytest tests/unit

crds: install ## regenerate crds/ from the API models
	$(BIN)/kubesweep crds --output crds

testbed-build: ## build the local control plane's binaries (cached)
	bash testbed/build.sh

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
