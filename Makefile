# Two entry points (README quick start): `make demo` and `make test`.
# Each creates the virtual environment at .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
EAR_VENV := .venv-ear
BIN := $(VENV)/bin
DEMO_OUT ?= out/demo

.PHONY: demo test ffmpeg chromium lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,models,ray,web]"
	touch $(VENV)/.core $@

# Runs the main job on a bundled example with the embedded defaults.
demo: $(VENV)/.core
	-$(BIN)/see2sound models fetch all
	$(BIN)/see2sound run examples/rocket.jpg -o $(DEMO_OUT) --overwrite

# EBU's ADM renderer (ear, the ITU-R BS.2127 reference) checks the ADM export; it pins numpy<2, so it
# lives in a virtual environment of its own.
$(EAR_VENV)/bin/ear-render:
	$(PYTHON) -m venv $(EAR_VENV)
	$(EAR_VENV)/bin/pip install --quiet ear==2.1.0

# The system's ffmpeg tool (Debian's 5.1): the tests check that players decode what we write.
ffmpeg:
	@command -v ffmpeg >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ffmpeg; }

# Debian's chromium for the web page's browser tests (Playwright drives it; no browser download).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium; }

# Runs the whole test suite (fetching the offline assets the tests check against first).
test: $(VENV)/.dev $(EAR_VENV)/bin/ear-render ffmpeg chromium
	$(BIN)/see2sound models fetch all
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.dev
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(EAR_VENV) out .pytest_cache
