# Two commands do everything from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test install assets browser serve clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css static/vendor/swagger-ui/
	touch $@

install: $(VENV)/.installed static/vendor/.installed

# Debian's chromium drives the browser tests; Playwright cannot download its own here.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/flask init-db
	$(BIN)/flask demo-data
	@echo "Serving on http://$(HOST):$(PORT)/"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Production-style serving with several workers.
serve: install
	$(BIN)/flask init-db
	$(BIN)/gunicorn --workers 4 --bind $(HOST):$(PORT) app:app

test: install browser
	$(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor
