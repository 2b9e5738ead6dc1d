# Two commands do all the set-up on a fresh machine, in either order:
#   make book   build the HTML book, every notebook executed (FSCORE_SCALE=quick|full)
#   make test   run the test suite (unit tests, every notebook at quick scale, the book build, the built
#               HTML in headless chromium)
# Both create or update the project's virtual environment in .venv, install the Debian packages the data
# come from where apt is available, fetch and verify the data sets, and vendor MathJax so that the HTML
# reads offline. Only `make test` installs the headless browser and its driver (chromium, chromium-driver).
#
# Knobs (make VAR=value ...):
#   TORCH_CPU=1      install PyTorch's CPU build from PyTorch's own index (TORCH_INDEX below): about 200 MB,
#                    where a bare `pip install torch` from PyPI on Linux pulls the CUDA build and its nvidia-*
#                    libraries, several GB that a CPU-only laptop never uses. Set it on a first set-up.
#   TORCH_INDEX=URL  an extra package index for torch (TORCH_CPU=1 sets https://download.pytorch.org/whl/cpu;
#                    .../whl/cu126 would pick a given CUDA build). Default: none, pip's own configuration,
#                    which takes a CPU build where pip already finds one (a local wheel cache, a pip.conf index).
#   TORCH=spec       the torch requirement (default torch==2.13.0).
#   PY=python        use the Python of an environment you made yourself as it is (conda: environment.yml);
#                    no .venv is created.
#   EDITION=student  the student edition of the book, without the exercises' solutions (default: instructor).
#   FSCORE_SCALE=full  the paper-sized runs (default: quick without a GPU, full with one).

PYTHON      ?= python3
VENV        ?= .venv
TORCH       ?= torch==2.13.0
TORCH_CPU   ?=
TORCH_INDEX ?= $(if $(filter 1 yes true,$(TORCH_CPU)),https://download.pytorch.org/whl/cpu)
EDITION     ?= instructor
BOOK_FLAGS  ?= --warningiserror --keep-going

ifeq ($(origin PY),command line)
# An environment made by hand (conda): used as it is, its jupyter-book from the PATH.
SETUP        :=
JUPYTER_BOOK ?= jupyter-book
else
PY           := $(VENV)/bin/python
SETUP        := $(VENV)/.installed
JUPYTER_BOOK ?= $(VENV)/bin/jupyter-book
endif

# No progress bar belongs in a rendered page: the book's (fscore.progress) nor other packages' (tqdm).
QUIET := FSCORE_PROGRESS=0 TQDM_DISABLE=1

.PHONY: setup system-packages test-packages data assets test book clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps "pytorch-ood==0.4.0"  # Chapter 14's parity test (see pyproject.toml)
	touch $@

setup: $(SETUP)

system-packages:
	bash scripts/system-packages data

test-packages:
	bash scripts/system-packages test

data: setup system-packages
	$(PY) -m fscore.datasets fetch --all

assets:
	bash scripts/fetch-mathjax

test: data assets test-packages
	$(QUIET) $(PY) -m pytest

book: data assets
	$(QUIET) FSCORE_EDITION=$(EDITION) $(JUPYTER_BOOK) build . $(BOOK_FLAGS)
	@echo "Open _build/html/index.html in a browser."

clean:
	rm -rf _build results/quick
