# Two commands a newcomer needs: `make run` (portal with demo data) and `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-test translations test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/python -c "from app.i18n import compile_catalogs; compile_catalogs()"

## The portal on http://127.0.0.1:5000 with a demo base (SQLite under instance/, in-process jobs).
run: install
	$(BIN)/flask bootstrap
	@echo "Clientele: http://127.0.0.1:5000  (a first start prints the demo people; the embedded demo password is demo12345)"
	$(BIN)/gunicorn --workers 1 --threads 8 --bind 127.0.0.1:5000 --access-logfile - wsgi:app

install-test: $(VENV)/.installed-test translations
	@./scripts/ensure-chromium

## The whole suite: SQLite always; PostgreSQL and Redis too when reachable (required when CI=true).
test: install-test
	./scripts/run-tests

## Benchmark extras; then run any of them, e.g. `.venv/bin/python -m bench.search` (see README).
bench: install
	$(BIN)/pip install -q -e '.[bench]'
	@ls bench/*.py | grep -v -e __init__ -e _common -e synthetic -e febrl -e locustfile | sed 's|bench/\(.*\)\.py|  .venv/bin/python -m bench.\1|'


clean:
	rm -rf $(VENV) .pytest_cache
