# CES Operaciones. Two commands do all the set-up on a fresh machine:
#   make run    install, prepare PostgreSQL and Redis, migrate, load the demo data, start web + worker + beat
#   make test   the whole suite against real PostgreSQL and Redis (and Chromium for the browser journeys)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := ces.settings

.PHONY: run test bench lint messages makemessages services browser lock schema deploy-check clean

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

services:
	@scripts/services.sh

browser:
	@scripts/browser.sh

messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || scripts/apt-install.sh gettext
	@$(PY) manage.py compilemessages --ignore=.venv -v0

makemessages: $(VENV)/.installed
	$(PY) manage.py makemessages -l es --ignore=.venv --ignore=staticfiles --no-obsolete

run: $(VENV)/.installed services messages
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_pharmacy_demo
	$(PY) manage.py seed_visitors_demo
	@echo
	@echo "  CES Operaciones:  http://localhost:$(PORT)/   (API docs: http://localhost:$(PORT)/api/docs/)"
	@echo "  Ctrl-C stops web, worker and beat."
	@echo
	PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile.dev

test: $(VENV)/.installed services messages browser
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Measurements at a scale factor (SCALE=0.1 for a quick run), in a database of their own.
# BENCH_ARGS passes scripts/bench.py's options, e.g. BENCH_ARGS='--only http --page form --reuse'.
SCALE ?= 1
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ces_bench
bench: $(VENV)/.installed services messages
	@DATABASE_URL=$(BENCH_DATABASE_URL) scripts/services.sh
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) scripts/bench.py --scale $(SCALE) $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

schema: $(VENV)/.installed
	$(PY) manage.py spectacular --lang en --file docs/openapi.yaml --validate --fail-on-warn

deploy-check: $(VENV)/.installed
	DEBUG=0 SECRET_KEY=$$(openssl rand -hex 40) ALLOWED_HOSTS=ces.example.org \
		$(PY) manage.py check --deploy --fail-level WARNING

lock: $(VENV)/.installed
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) staticfiles
