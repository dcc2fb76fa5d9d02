# TrainHub: `make run` serves the demo, `make test` runs every test (SQLite, PostgreSQL, browser),
# `make serve` runs gunicorn with the production config and `make worker` its job worker
# (docs/deploy.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST := $(BIN)/python -m pytest
SYSTEM_PACKAGES := postgresql chromium fonts-dejavu-core poppler-utils
PG_URL := postgresql+psycopg://postgres@127.0.0.1:5433/trainhub_test
BIND ?= 127.0.0.1:8000
WORKERS ?= 3
THREADS ?= 4

.PHONY: run serve worker test test-databases test-sqlite test-postgres test-e2e install install-test install-load \
        system-packages translations lint bench bench-call loadtest demo guide clean

# The job worker (long exports, big imports) runs beside the app and stops with it.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "TrainHub on http://127.0.0.1:5000, with its job worker (Ctrl+C stops both)"
	$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production: needs SECRET_KEY and DATABASE_URL in the environment (see docs/deploy.md).
# The job worker is a process of its own there: `make worker` (or its systemd unit).
# --config python:trainhub.serving: the workers freeze the loaded app for the garbage collector.
serve: install
	TRAINHUB_ENV=production $(FLASK) db upgrade
	TRAINHUB_ENV=production $(BIN)/gunicorn --bind $(BIND) --workers $(WORKERS) \
	  --worker-class gthread --threads $(THREADS) --keep-alive 0 \
	  --timeout 60 --graceful-timeout 30 --access-logfile - \
	  --config python:trainhub.serving wsgi:app

worker: install
	TRAINHUB_ENV=production $(FLASK) jobs worker

demo: install
	$(FLASK) db upgrade
	$(FLASK) demo

# The SQLite and PostgreSQL suites run side by side, one per core: the PostgreSQL one prints as
# it goes, the SQLite one's report follows it, and the target fails if either failed.
test: install-test system-packages
	$(MAKE) test-databases
	$(MAKE) test-e2e

test-databases:
	@log=$$(mktemp /tmp/trainhub-sqlite-tests.XXXXXX); \
	echo "SQLite suite running beside the PostgreSQL one; its report follows"; \
	$(MAKE) --no-print-directory test-sqlite PYTEST_ARGS="$(PYTEST_ARGS)" > $$log 2>&1 & sqlite=$$!; \
	$(MAKE) --no-print-directory test-postgres PYTEST_ARGS="$(PYTEST_ARGS)"; postgres=$$?; \
	wait $$sqlite; sqlite=$$?; \
	echo "== SQLite suite"; cat $$log; rm -f $$log; \
	echo "SQLite: exit $$sqlite, PostgreSQL: exit $$postgres"; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

test-sqlite:
	$(PYTEST) -m "not e2e" -q $(PYTEST_ARGS)

test-postgres:
	bash tests/throwaway_postgres.sh $(PYTEST) -m "not e2e" -q $(PYTEST_ARGS)

test-e2e:
	$(PYTEST) -m e2e -q

# the user guide's screenshots (docs/guide/img), taken by a browser test of the demo pages
guide: install-test system-packages
	GUIDE_SCREENSHOTS=1 $(PYTEST) -m e2e -q tests/e2e/test_guide_screenshots.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e ".[test]"
	@touch $@

$(VENV)/.installed-load: $(VENV)/.installed-test pyproject.toml
	$(BIN)/pip install -q -e ".[test,load]"
	@touch $@

install: $(VENV)/.installed translations

install-test: $(VENV)/.installed-test translations

# locust, for `make loadtest` only: `make test` never needs it
install-load: $(VENV)/.installed-load translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d trainhub/translations

# Debian packages the tests need; installed only when missing, and only when we are root.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "missing Debian packages:$$missing (run as root or install them)"; exit 1; fi; \
	fi

# Translations: extract the strings, merge them into the catalogues, compile.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract --ignore-dirs=".*" -F babel.cfg -k _l -k lazy_gettext -o trainhub/translations/messages.pot .
	$(BIN)/pybabel update -i trainhub/translations/messages.pot -d trainhub/translations --no-fuzzy-matching

lint: install-test
	$(BIN)/ruff check trainhub tests config.py wsgi.py

# wrk measures the served pages without competing for the CPU (a Python loop stands in without it)
bench: SYSTEM_PACKAGES += wrk
bench: install-test system-packages
	$(BIN)/python -m tests.bench
	bash tests/throwaway_postgres.sh sh -c '$(BIN)/python -m tests.bench --scale-only --label postgresql --database-url "$$TEST_DATABASE_URL" \
	  && $(BIN)/python -m tests.bench --only register-import --database-url "$$TEST_DATABASE_URL"'

# The call-scale bench (DESIGN §14): one call of 72 projects and CALL_PEOPLE people, the call
# table timed against hand-written SQL on both databases; CALL_PEOPLE=5000 for a quick run
CALL_PEOPLE ?= 100000
bench-call: install-test
	flock /tmp/trainhub-bench.lock $(BIN)/python -m tests.bench --only call --call-people $(CALL_PEOPLE)
	flock /tmp/trainhub-bench.lock bash tests/throwaway_postgres.sh sh -c '$(BIN)/python -m tests.bench --only call --call-people $(CALL_PEOPLE) --label postgresql --database-url "$$TEST_DATABASE_URL"'

# Locust against gunicorn on a throw-away PostgreSQL (port LOAD_PG_PORT), restarted halfway
# (docs/deploy.md "Load test"); LOAD_ARGS="--users 10 --minutes 0.5" for a short run.
# The lock keeps it from overlapping another benchmark on this machine.
LOAD_PG_PORT ?= 5447
loadtest: install-load system-packages
	PG_PORT=$(LOAD_PG_PORT) flock /tmp/trainhub-bench.lock $(BIN)/python -m tests.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
