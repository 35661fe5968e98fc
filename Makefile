# Owlery: `make run` starts the whole platform, `make test` runs every check and test.
# Both provision what is missing (Python workspace, Kafka, FerretDB) into .venv/ and .cache/.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .cache/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help install provision browser run stop test check unit schemas bench dead-letters clean

help:
	@echo "make run      start Kafka, FerretDB and the four services (Ctrl-C or 'make stop' stops them)"
	@echo "make test     every check and test, against servers of its own"
	@echo "make stop     stop what 'make run' started"
	@echo "make schemas  regenerate the event schema catalogue (refuses breaking changes)"
	@echo "make bench    every benchmark in one table, ~15 min (BENCH_ARGS='--quick' or '--only pipeline,http,rss')"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(VENV)/.installed

provision: install
	$(PY) -m deploy.local.launcher provision

# The portal's browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

run: provision
	$(PY) -m deploy.local.platform run

stop: install
	$(PY) -m deploy.local.platform stop

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(PY) -m shared.contracts.catalogue check

test: provision browser check
	$(VENV)/bin/pytest

schemas: install
	$(PY) -m shared.contracts.catalogue write

bench: provision
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf .run/test
