# The two set-up commands of the README: `make run` and `make test`. Everything else is a step of theirs.
VENV ?= .venv
PY := $(VENV)/bin/python
# Debian's python3 (3.11 on Debian 12) is built with PGO and LTO: WeasyPrint, pure Python, renders ~25 % faster
# with it than with a --enable-shared build such as pyenv's (measured: README, « Performances »). Any Python 3.11+
# works: `make PYTHON=python3.12 test`.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo /usr/bin/python3 || echo python3)
PORT ?= 8000

.PHONY: run test venv venv-dev quality pytest services

$(VENV)/.installed: requirements.txt
	bash scripts/system-deps.sh run
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

## Runs the application on SQLite with the demo data, at http://127.0.0.1:$(PORT)/admin/
run: venv
	bash scripts/system-deps.sh run
	test -f .env || printf 'DEBUG=True\n' > .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Starts the servers and prints the variables the tests read (DATABASE_URL, DATABASE_OWNER_URL, CELERY_BROKER_URL).
SERVICES ?= bash scripts/services.sh

## Installs what the tests need (Debian packages, PostgreSQL, Redis, Chromium), then runs lint and the whole suite.
## If the servers cannot start, it stops there: the variables are read only from a successful run of $(SERVICES).
test: venv-dev
	bash scripts/system-deps.sh test
	services="$$($(SERVICES))" && set -a && eval "$$services" && set +a && $(MAKE) --no-print-directory quality pytest

quality:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=True $(PY) manage.py makemigrations --check --dry-run
	DEBUG=False SECRET_KEY=check-deploy-$$(date +%s)-a-long-and-random-enough-secret-value-for-django \
		ALLOWED_HOSTS=conventions.ac-montpellier.fr SITE_URL=https://conventions.ac-montpellier.fr \
		SECURITY_CONTACT=mailto:rssi@ac-montpellier.fr \
		$(PY) manage.py check --deploy --fail-level WARNING

pytest:
	$(VENV)/bin/pytest $(PYTEST_ARGS)
