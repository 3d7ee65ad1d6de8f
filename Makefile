# Two commands do everything from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test install assets system serve worker clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js
	# axe-core is only loaded by the accessibility browser tests, never by a page.
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css static/vendor/swagger-ui/
	touch $@

install: $(VENV)/.installed static/vendor/.installed

# Debian's chromium drives the browser tests (Playwright cannot download its own here); the mail tests talk to a
# real dovecot IMAP server, the queue tests to a real redis-server and the report tests to a real PostgreSQL, each
# started by a fixture on a free port.
APT_NEEDED = $(if $(shell command -v chromium),,chromium) \
	$(if $(wildcard /usr/sbin/dovecot),,dovecot-imapd) \
	$(if $(shell command -v redis-server),,redis-server) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(shell command -v openssl),,openssl)

system:
	@if [ -n "$(strip $(APT_NEEDED))" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_NEEDED) >/dev/null; \
	fi

# The web server and the background worker side by side; one Ctrl-C stops both.
run: install
	$(BIN)/flask init-db
	$(BIN)/flask demo-data
	@echo "Serving on http://$(HOST):$(PORT)/ with a background worker (mail, mailbox, sweeping). Ctrl-C stops both."
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/flask worker & worker=$$!; \
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/flask run --host $(HOST) --port $(PORT)

# Production pair: gunicorn with several workers, and the job worker. Under systemd or in a container, run the two
# commands below as two services instead (see the README).
serve: install
	$(BIN)/flask init-db
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask worker & worker=$$!; \
	$(BIN)/gunicorn --workers 4 --bind $(HOST):$(PORT) app:app

worker: install
	$(BIN)/flask worker

test: install system
	$(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor
