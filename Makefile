# Two entry points (README quick start): `make demo` and `make test`.
# Each creates the virtual environment at .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= out/demo

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,models,ray]"
	touch $(VENV)/.core $@

# Runs the main job on a bundled example with the embedded defaults.
demo: $(VENV)/.core
	-$(BIN)/see2sound models fetch all
	$(BIN)/see2sound run examples/cat.png -o $(DEMO_OUT) --overwrite

# Runs the whole test suite (fetching the offline assets the tests check against first).
test: $(VENV)/.dev
	$(BIN)/see2sound models fetch all
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.dev
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
