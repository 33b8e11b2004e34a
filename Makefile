# Every target sets up what it needs: a fresh clone with Python 3.11 and make is enough.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format bench bench-scale bench-profile fake-reddit clean stack-up stack-down stack-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Migrate and seed the SQLite database, then serve on http://$(HOST):$(PORT)
## (`make run PORT=8002`; email links follow unless PUBLIC_BASE_URL is set)
# PORT may come from the environment too; HOST only from the command line, as some
# shells export HOST as the machine's name.
HOST = 127.0.0.1
PORT ?= 8001
run: install
	$(VENV)/bin/recipe-api serve --host $(HOST) --port $(PORT)

## The whole test suite (PostgreSQL and Redis runs need TEST_DATABASE_URL / TEST_REDIS_URL),
## in TEST_WORKERS pytest-xdist processes (`make test TEST_WORKERS=0` runs it in one)
## then the tests marked serial (bounds in seconds) alone; it fails if either part fails
TEST_WORKERS ?= 4
test: install
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not serial" || status=$$?; \
	$(PY) -m pytest -p no:xdist -m serial || status=$$?; \
	exit $$status

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy --strict src tests

format: install
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

## Throughput and latency tables (recipes, then recipe ideas against the emulator).
## The first run also builds bench/.tutorial-venv, the tutorial's own pinned stack
## (rebuilt when bench/tutorial_part9/requirements.txt changes; skipped, with a note, if it cannot be built).
bench: install
	$(PY) bench/run.py

## Recipes at 1k / 100k / 1M on SQLite (and PostgreSQL with BENCH_POSTGRES_URL): search, pages,
## home, read, read while searching. Opt-in: building the 1M databases takes minutes the first
## time (they are kept; SIZES=1000,100000 for a quicker run)
SIZES ?= 1000,100000,1000000
bench-scale: install
	$(PY) bench/scale.py --sizes $(SIZES)

## Where one worker's time goes on the hot paths (py-spy samples under load)
bench-profile: install
	$(PY) bench/profile_hotpaths.py

## A reddit emulator on :9009 with 200 ms latency, for `make run` without reddit
fake-reddit: install
	$(VENV)/bin/recipe-api fake-reddit --port 9009 --latency 0.2

## The container stack (docker compose or podman-compose): build the image, start it on :8001
## (needs SECRET_KEY, FIRST_SUPERUSER_PASSWORD, POSTGRES_PASSWORD; OFFLINE=1 builds without a registry)
stack-up:
	deploy/stack up

stack-down:
	deploy/stack down

## Build the image offline, start the stack, try it from the host, remove it (skips without a runtime)
stack-check:
	deploy/stack check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache recipe_api.db recipe_api.db-*
