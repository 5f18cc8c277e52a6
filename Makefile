# The two commands of the README: `make run` and `make test`. Everything else is set-up they call.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test venv system-deps bench schemas clean

# Debian tools: Java and Maven for the embedded Kafka broker; docker-compose (config check, no engine) and
# prometheus (promtool and a real server in an integration test); jq (the README's examples, run by a test);
# chromium and its driver (the page's browser test). Installed only when missing.
SYSTEM_TOOLS := java:openjdk-17-jre-headless mvn:maven docker-compose:docker-compose promtool:prometheus prometheus:prometheus \
	jq:jq chromium:chromium chromedriver:chromium-driver

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: venv system-deps
	$(BIN)/article-stream demo $(ARGS)

system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do tool=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: venv system-deps
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

bench: venv
	$(BIN)/article-stream bench $(ARGS)

schemas: venv
	$(BIN)/article-stream schemas

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
