# The two commands a newcomer runs (see README.md):
#   make demo   set everything up, then run the main job
#   make test   set everything up, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints/cpu.txt
STAMP := $(VENV)/.xrerank-installed
DEMO_STAMP := $(VENV)/.xrerank-demo-installed

.PHONY: setup demo test lint bench wheel clean browser

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

# Everything: every extra and the test tools.
$(STAMP): pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[all]" --group dev
	touch $(STAMP) $(DEMO_STAMP)

# Only what the main job imports: a newcomer's first run sets up in about half the time.
$(DEMO_STAMP): pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[demo]"
	touch $(DEMO_STAMP)

setup: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/xrerank demo

test: setup
	$(BIN)/python -m pytest

# tests/test_html_report.py opens `xrerank eval --html` pages in a headless chromium; installed
# here where missing and root with apt (CI), otherwise that one test is skipped with the reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "make browser: chromium not installed; the browser test in tests/test_html_report.py will be skipped"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/score_throughput.py

# dist/xrerank-*.whl. build/ goes first: setuptools would ship any stale file left in it.
wheel: setup
	rm -rf build
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation -w dist .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
