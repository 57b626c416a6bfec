# The two quickstart commands are `make site` and `make test`; the rest are their parts.
.PHONY: setup setup-test site build check lint test bench-site

VENV := .venv/bin

setup:
	scripts/setup.sh site

setup-test:
	scripts/setup.sh test

## Render README.md and the website, then serve it on http://127.0.0.1:8000 (reloads on edits).
site: setup
	$(VENV)/aladin build
	$(VENV)/aladin serve

build: setup
	$(VENV)/aladin build

check: setup
	$(VENV)/aladin check
	$(VENV)/aladin build --check

lint:
	$(VENV)/ruff check .

## The whole suite: validation, README staleness, lint, then pytest (unit, zoo training, browser).
test: setup-test
	$(VENV)/aladin check
	$(VENV)/aladin build --check
	$(VENV)/ruff check .
	# One worker per core (at most 4); a file's tests share a worker, so its fixtures are built once.
	$(VENV)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

bench-site: setup
	$(VENV)/python scripts/bench_site.py --papers 10000
