# Tailtown developer commands. `make run` to see it work, `make test` to check it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-postgres test-sqlite lint venv db seed bench bench-load bench-booking bench-scale clean browser

## One venv for running and testing: requirements-dev.txt includes requirements.txt (runtime only).
$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

db: venv
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo

## Embedded default (SQLite + in-process cache) unless DATABASE_URL / REDIS_URL are set.
run: seed
	@echo ""
	@echo "  Tailtown is running: open http://localhost:5000  (demo resort: http://happy-paws.localhost:5000)"
	@echo ""
	PUBLIC_PORT=5000 $(FLASK) run --host 0.0.0.0 --port 5000

## Headless Chromium for the browser tests (Debian's package; never a downloaded browser).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

## Both passes: PostgreSQL + Redis, then the embedded default (SQLite + in-process cache).
test: venv browser test-postgres test-sqlite

test-postgres: venv
	TAILTOWN_TEST_BACKEND=postgres TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -q $(PYTEST_ARGS)

test-sqlite: venv
	TAILTOWN_TEST_BACKEND=sqlite $(BIN)/pytest -q $(PYTEST_ARGS)

## pyflakes, bugbear, pyupgrade, simplify and isort rules (configured in pyproject.toml).
lint: venv
	$(BIN)/ruff check .

## The ratio table: Tailtown's hot paths against the bare Flask app (bench/RESULTS.md keeps past tables).
bench: venv
	$(BIN)/python bench/ratio.py

## The limiter and worker-recycling scenarios (bench/README.md).
bench-load: venv
	$(BIN)/python bench/run.py

bench-booking: venv
	$(BIN)/python bench/booking.py

## Large vs small tenant (p50/p95 and the ratio) on a database seeded by `seed-scale`; seeds it first if empty.
## SCALE=0.2 for a smaller large tenant; BENCH_SCALE_DATABASE_URL names the database.
SCALE ?= 1.0
bench-scale: venv
	$(BIN)/python bench/scale.py --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
