# `make run` and `make test` set up everything they need on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Without libharfbuzz-subset0 WeasyPrint subsets fonts in Python (a 2-page PDF takes ~25 s
# instead of under 1 s); without fonts-noto-cjk every Chinese character in a PDF is a box.
RUN_PACKAGES := libharfbuzz-subset0 fonts-noto-cjk
TEST_PACKAGES := $(RUN_PACKAGES) poppler-utils
BROWSER_PACKAGES := chromium

# Two workers on two cores; each worker gets its own PostgreSQL database. The groups keep a
# module's tests on one worker and the demo tests together (tests/conftest.py).
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: run test venv system-run system-test bench lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

system-run:
	scripts/system-packages.sh $(RUN_PACKAGES)

system-test:
	if [ -n "$$CI" ]; then scripts/system-packages.sh $(TEST_PACKAGES) $(BROWSER_PACKAGES); \
	else scripts/system-packages.sh $(TEST_PACKAGES) --optional $(BROWSER_PACKAGES); fi

## Start the platform on http://127.0.0.1:8000 with demo data (SQLite and files under ./var).
run: $(STAMP) system-run
	$(BIN)/procurement serve --demo

## Run the whole test suite (SQLite and, when it answers, PostgreSQL; S3 on moto; Chromium).
test: $(STAMP) system-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Run a benchmark: make bench NAME=api
bench: $(STAMP) system-run
	$(BIN)/python -m benchmarks $(NAME)

lint: $(STAMP)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) test-output .pytest_cache
