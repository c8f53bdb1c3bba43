# Mutirões — one command to run it, one to test it.
#   make run    the embedded platform: the web app on http://127.0.0.1:3000, the API on :8000 (SQLite, no servers)
#   make test   ruff, the import layers (lint-imports), the OpenAPI lint, every test on PostgreSQL, the domain tests
#               again on SQLite, the benchmarks' quick run, then the web app's checks and browser journeys (test-web)
#   make test-fast  the edit-test loop: ruff and the tests not marked system, slow or schemathesis
#   make lint   ruff check, ruff format --check and the import layers (lint-imports, [tool.importlinter])
#   make test-openapi  Redocly's recommended lint of docs/openapi.json (part of make test)
#   make schema rewrite docs/openapi.json from the code (and the web app's generated client)
#   make bench  every benchmark (bench/run.py: the local cluster, 100,000 events; ~25 min, loads the machine); to
#               var/bench/report-*.md, from which docs/benchmarks.md is written. make bench-quick: CI's short run

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test test-fast test-postgres test-sqlite test-web test-openapi bench bench-quick lint format schema clean

# The venv is made once; the project is reinstalled only when pyproject.toml changes (stamp files).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The benchmarks' own extra (the DRF/Celery reference, pyinstrument), on top of the test dependencies.
$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# The web app is rebuilt when its sources change; the standalone server is what the containers run too.
WEB_SOURCES := $(shell find web/app web/src -type f 2>/dev/null) web/next.config.ts web/package-lock.json
web/.next/standalone/server.js: web/node_modules/.package-lock.json $(WEB_SOURCES)
	npm --prefix web run --silent build

run: $(VENV)/.installed-run web/.next/standalone/server.js
	@mkdir -p var; trap 'kill 0' EXIT; \
	$(BIN)/mutiroes dev --host 127.0.0.1 --port 8000 & \
	API_URL=http://127.0.0.1:8000 HOSTNAME=127.0.0.1 PORT=3000 node web/.next/standalone/server.js >var/web.log 2>&1 & \
	sleep 3; printf '\n==> Open http://127.0.0.1:3000  (API and its docs on http://127.0.0.1:8000; web log in var/web.log)\n\n'; \
	wait

test: $(VENV)/.installed-test
	$(BIN)/ruff check
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory test-openapi
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory bench-quick
	$(MAKE) --no-print-directory test-web

# The edit-test loop: ruff, then every test on PostgreSQL but those marked system (real API, worker, scheduler and
# gateway processes and the faults done to them), slow (real waiting, 100,000 rows, external validators) or
# schemathesis. The folders that hold only such tests are not even collected (building the schemathesis tests
# alone takes ~10 s). Measured on the 2-core machine: 58 s for `make test-fast` (1,108 tests, pytest 54.5 s, 43 s
# of CPU) with the machine otherwise idle (load 0.6); 96-116 s while other work kept the load at 7-8. The whole
# Python suite (make test-postgres) took 695 s at load 9-11. `make test` still runs everything.
FAST_IGNORE := --ignore=tests/system --ignore=tests/gateway --ignore=tests/api/test_schemathesis.py
test-fast: $(VENV)/.installed-test
	$(BIN)/ruff check
	$(BIN)/pytest -q -m "not system and not slow and not schemathesis" $(FAST_IGNORE) $(PYTEST_ARGS)

# The plugin (tests/plugins/servers.py) starts a private PostgreSQL 15 cluster unless DATABASE_URL is set. The web
# app is built first: the gateway and local-cluster tests put its two replicas behind nginx.
test-postgres: $(VENV)/.installed-test web/.next/standalone/server.js
	$(BIN)/pytest $(PYTEST_ARGS)

# The domain tests (marked `domain`) again on SQLite, the database of the embedded mode.
test-sqlite: $(VENV)/.installed-test
	MUTIROES_TEST_DB=sqlite $(BIN)/pytest -m domain $(PYTEST_ARGS)

# The web app: the committed client matches docs/openapi.json, type-check, lint, Vitest, the production build, and
# the Playwright journeys in Debian's Chromium against a fresh embedded stack (screenshots in web/test-results/).
test-web: $(VENV)/.installed-test web/node_modules/.package-lock.json
	npm --prefix web run --silent check:api
	npm --prefix web run --silent typecheck
	npm --prefix web run --silent lint
	npm --prefix web test
	npm --prefix web run --silent build
	npm --prefix web run --silent e2e

# Redocly's recommended ruleset over the committed contract: any error fails (warnings are printed). A pinned tool
# of its own (tools/openapi-lint), so the web app's dependencies stay the app's.
test-openapi: tools/openapi-lint/node_modules/.package-lock.json
	npm --prefix tools/openapi-lint run --silent lint

tools/openapi-lint/node_modules/.package-lock.json: tools/openapi-lint/package-lock.json
	npm --prefix tools/openapi-lint ci --no-audit --no-fund

# Benchmarks: figures, never assertions on time (bench/README.md). The quick mode runs every group at tiny sizes
# so the suite keeps working; it fails only when a request is refused or an e-mail goes missing.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py

bench-quick: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py --quick

lint: $(VENV)/.installed-test
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix
	$(BIN)/ruff format

# The committed contract; tests/api/test_openapi_document.py fails when it drifts from the code.
schema: $(VENV)/.installed-run
	$(BIN)/mutiroes export_openapi_schema --api mutiroes.api.main.api --indent 2 --output docs/openapi.json
	@echo >> docs/openapi.json
	$(MAKE) --no-print-directory web/node_modules/.package-lock.json
	npm --prefix web run --silent gen:api

# The web app's dependencies, exactly as locked; reinstalled when the lock file changes.
web/node_modules/.package-lock.json: web/package-lock.json
	npm --prefix web ci --no-audit --no-fund

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist src/*.egg-info
