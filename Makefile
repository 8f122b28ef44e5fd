# congress_app — `make run` to start the demo congress, `make test` to run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT
export FLASK_APP := congress_app

# Debian libraries WeasyPrint needs at run time; what the browser and HTTPS tests drive, and
# the Redis server the rate-limit test shares between two app processes.
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_DEBS := chromium caddy redis-server
# The second test run's throw-away PostgreSQL server (its contrib files give unaccent).
PG_DEBS := postgresql
# What `make bench` drives: the HTTP load generator, the static-file ceiling, and the Redis
# its gunicorn workers count rate limits in.
BENCH_DEBS := wrk nginx redis-server

# Install the listed Debian packages when missing: as root with apt-get, otherwise say how.
define ensure_debs
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages. Install them with:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

.PHONY: run test install install-dev system-deps test-system-deps translations lint clean \
	bench bench-system-deps bench-soak npm-deb audit lock

# `make run` loads the demo congress into an empty database (never again once a congress or an
# account exists). `CONGRESS_DEMO=0 make run` starts an empty instance instead: seed-demo reads
# CONGRESS_DEMO and loads nothing, and `flask serve` prints a one-time set-up link that
# creates the first administrator (README: "Start your own congress").
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask serve --host $(HOST) --port $(PORT)

# The suite runs twice, side by side (.ci/both-databases): on SQLite, and on a throw-away
# PostgreSQL cluster (.ci/with-postgres starts it, fails loudly if it cannot, and removes it
# afterwards); the browser tests, which test pages rather than the database, run on SQLite only.
# The audit asks a web service and waits on it: it runs alongside the suite, its output after.
test: install-dev test-system-deps
	$(BIN)/ruff check congress_app tests migrations bench
	@grep -qs '"version": "4.10.3"' .cache/axe/node_modules/axe-core/package.json || npm install --no-save --no-audit --no-fund --prefix .cache/axe axe-core@4.10.3
	@mkdir -p test-artifacts; \
	$(MAKE) --no-print-directory audit >test-artifacts/audit.log 2>&1 & audit=$$!; \
	.ci/both-databases $(BIN)/pytest; suite=$$?; \
	wait $$audit; audited=$$?; \
	echo; echo "===== audit (also in test-artifacts/audit.log) ====="; cat test-artifacts/audit.log; \
	[ $$suite -eq 0 ] && [ $$audited -eq 0 ]

lint: install-dev
	$(BIN)/ruff check congress_app tests migrations bench

system-deps:
	$(call ensure_debs,$(RUN_DEBS))

test-system-deps: system-deps
	$(call ensure_debs,$(TEST_DEBS) $(PG_DEBS))
	@command -v npm >/dev/null || $(MAKE) --no-print-directory npm-deb

# npm fetches axe-core for the accessibility tests; any npm will do (Debian's, or one that
# came with a Node.js install), so only the command is checked, not the Debian package.
npm-deb:
	$(call ensure_debs,npm)

# Benchmarks, apart from the tests: prints a table, writes bench/results/<time>.json.
# The 1,600-phone burst runs against gunicorn alone, then behind nginx with X-Accel-Redirect
# (bench/nginx-proxy.conf.template). BENCH_QUICK=1 for a short smoke run.
bench: install-dev bench-system-deps
	@grep -qs '"version": "12.8.2"' .cache/lighthouse/node_modules/lighthouse/package.json || npm install --no-save --no-audit --no-fund --prefix .cache/lighthouse lighthouse@12.8.2
	$(BIN)/python -m bench.run

bench-system-deps: system-deps
	$(call ensure_debs,$(BENCH_DEBS) chromium)
	@command -v npm >/dev/null || $(MAKE) --no-print-directory npm-deb

# Ten minutes at 200 connections with the workers' memory sampled (BENCH_SOAK_MINUTES).
bench-soak: install-dev bench-system-deps
	$(BIN)/python -m bench.soak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Every library comes from a lock file with hashes (requirements/*.lock, made by `make lock`
# from pyproject.toml); the app itself is then installed without resolving anything again.
$(VENV)/.installed: pyproject.toml requirements/run.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/run.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# The tests' lock also holds the production server (gunicorn) and PostgreSQL's driver.
$(VENV)/.installed-dev: pyproject.toml requirements/dev.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(VENV)/.installed

# pip-audit in a venv of its own, so its dependencies never mix with the app's.
AUDIT_VENV := .cache/pip-audit
$(AUDIT_VENV)/.installed: requirements/audit.lock
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install -q --require-hashes -r requirements/audit.lock
	touch $@

# Known vulnerabilities in the locked libraries: fails on any finding (.ci/audit says when the
# advisory service cannot be reached, rather than passing quietly).
audit: $(AUDIT_VENV)/.installed
	.ci/audit $(AUDIT_VENV)/bin/pip-audit requirements/dev.lock

# Re-resolve the lock files after a change of pins in pyproject.toml.
LOCK := $(BIN)/uv pip compile --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu -q
lock: | $(BIN)/python
	$(BIN)/pip install -q uv==0.13.9
	$(LOCK) pyproject.toml -o requirements/run.lock
	$(LOCK) pyproject.toml --extra dev --extra production --extra postgres -o requirements/dev.lock
	$(LOCK) requirements/audit.in -o requirements/audit.lock

install: system-deps $(VENV)/.installed translations
install-dev: system-deps $(VENV)/.installed-dev translations

translations: $(patsubst %.po,%.mo,$(wildcard congress_app/translations/*/LC_MESSAGES/messages.po))

congress_app/translations/%/LC_MESSAGES/messages.mo: congress_app/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d congress_app/translations -l $*

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts .cache
