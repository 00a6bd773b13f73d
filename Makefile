# Workbench: two commands do all the set-up.
#   make run   installs, migrates, loads the demo data and serves http://127.0.0.1:8000
#   make test  installs and runs the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install worker bench lint clean lock

$(STAMP): requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Workbench is starting on http://$(HOST):$(PORT)/ (demo users: facilitator, alice, bob, carol; password workbench-demo)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# A Celery worker for deployments with REDIS_URL set.
worker: install
	$(BIN)/celery -A workbench worker --beat --loglevel=INFO

bench: install
	$(BIN)/python bench/diff_bench.py

# Re-pin every package requirements.txt resolves to, from a throwaway venv (yours is left alone).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -r requirements.txt
	{ sed -n 1,3p constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-lock

clean:
	rm -rf $(VENV) workbench.sqlite3 staticfiles .pytest_cache
