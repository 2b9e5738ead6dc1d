# Two commands do all the set-up on a fresh machine:
#   make book   build the HTML book, every notebook executed (FSCORE_SCALE=quick|full)
#   make test   run the test suite (unit tests, every notebook at quick scale, the book build,
#               the built HTML in headless chromium)
# Both create or update the project's virtual environment in .venv, install the Debian packages
# (data sets, chromium) where apt is available, fetch and verify the data sets, and vendor MathJax
# so that the HTML reads offline.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The CPU build of torch; a bare `pip install torch` pulls a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
BOOK_FLAGS ?= --warningiserror --keep-going
# The edition: instructor (exercise solutions included) or student (solutions removed; fscore/editions.py).
EDITION ?= instructor

.PHONY: setup system-packages data assets test book clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

system-packages:
	bash scripts/system-packages

data: setup system-packages
	$(PY) -m fscore.datasets fetch --all

assets:
	bash scripts/fetch-mathjax

test: data assets
	$(PY) -m pytest

book: data assets
	FSCORE_EDITION=$(EDITION) $(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	@echo "Open _build/html/index.html in a browser."

clean:
	rm -rf _build results/quick
