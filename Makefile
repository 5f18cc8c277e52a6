# The two commands of the README: `make run` and `make test`. Everything else is set-up they call.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv bench schemas clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: venv
	$(BIN)/article-stream demo $(ARGS)

test: venv
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

bench: venv
	$(BIN)/article-stream bench $(ARGS)

schemas: venv
	$(BIN)/article-stream schemas

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
