# Mineral Atlas. Two commands: `make run` (install if needed, start the app) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PG_BIN := /usr/lib/postgresql/15/bin
POSTGIS_CONTROL := /usr/share/postgresql/15/extension/postgis.control
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test check bench screenshot chromium postgis clean

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

# Debian's PostgreSQL 15 + PostGIS 3 for the workspace tests on PostGIS: the tests start a throwaway
# cluster of their own (initdb in a temporary folder, its own socket and port)
postgis:
	@[ -x $(PG_BIN)/initdb ] && [ -f $(POSTGIS_CONTROL) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null; }
	@[ -x $(PG_BIN)/initdb ] && [ -f $(POSTGIS_CONTROL) ] || { echo "make: $(PG_BIN)/initdb or $(POSTGIS_CONTROL) is missing after apt-get install postgresql-15 postgresql-15-postgis-3" >&2; exit 1; }

run: $(STAMP)
	$(BIN)/python -m app.asgi --port $(PORT)

# lint, format, types and the direction of imports (pyproject.toml configures each)
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# pytest exits 5 when it collects no test: make fails on it like on any other non-zero exit
test: check $(STAMP) chromium postgis
	$(BIN)/python -m pytest

# BENCH_FLAGS=--quick (smaller scaling runs, fewer rounds) or --full (every size with its anchor)
bench: $(STAMP)
	@ls bench/[!_]*.py >/dev/null 2>&1 || { echo "make: no benchmarks in bench/" >&2; exit 1; }
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b $(BENCH_FLAGS) || exit 1; done

# the README's screenshots (desktop: the Routes tab; phone: the Map tab), taken by browser tests
screenshot: $(STAMP) chromium
	MINERAL_ATLAS_SCREENSHOT=static/screenshot.png $(BIN)/python -m pytest -q tests/test_browser.py -k "test_routes_tab or test_phone"

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
