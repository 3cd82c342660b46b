# Mineral Atlas. Two commands: `make run` (install if needed, start the app) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test check bench screenshot chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the project in editable mode with its test extras; redone when pyproject.toml changes
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

# Debian's Chromium for the browser tests (no browser download: Playwright drives /usr/bin/chromium)
chromium:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@[ -x $(CHROMIUM) ] || { echo "make: $(CHROMIUM) is missing after apt-get install chromium" >&2; exit 1; }

run: $(STAMP)
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.headless true

# lint, format, types and the direction of imports (pyproject.toml configures each)
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# pytest exits 5 when it collects no test: make fails on it like on any other non-zero exit
test: check $(STAMP) chromium
	$(BIN)/python -m pytest

bench: $(STAMP)
	@ls bench/[!_]*.py >/dev/null 2>&1 || { echo "make: no benchmarks in bench/" >&2; exit 1; }
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# the README's screenshots (desktop: the Routes tab; phone: the Map tab), taken by browser tests
screenshot: $(STAMP) chromium
	MINERAL_ATLAS_SCREENSHOT=static/screenshot.png $(BIN)/python -m pytest -q tests/test_browser.py -k "test_routes_tab or test_phone"

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
