"""Shared by the notebook and book tests: find, execute (once per session) and stage the chapters; build the book.

Two builds, both with the book's flags (warnings are errors) and the chapters executed once by papermill:

* :func:`build_test_book` — a staged copy of the book's sources in which every notebook is the executed one
  (``_build/test-book``; the browser tests read it);
* :func:`build_checkout` — the checkout itself, as ``make book`` builds it, with whatever files lie around
  (``.pytest_cache``, ``.venv``, results, data): the executed outputs come from a jupyter-cache filled with the
  executed chapters, so nothing runs twice.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

from fscore.book import AFTER_THE_CHAPTERS, chapter_notebooks, toc_files  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed"
TEST_BOOK = ROOT / "_build" / "test-book"
HTML = TEST_BOOK / "_build" / "html"
CHECKOUT_BUILD = ROOT / "_build" / "checkout"
JUPYTER_BOOK = str(Path(sys.executable).parent / "jupyter-book")
#: A book build's environment: no progress bars (they go to stderr, and stderr does not belong in a page).
QUIET = {"FSCORE_PROGRESS": "0", "TQDM_DISABLE": "1"}


def notebooks() -> list[Path]:
    """Every chapter notebook of the toc, in reading order, the dashboard last (:func:`fscore.book.chapter_notebooks`)."""
    return chapter_notebooks(ROOT)


def execute(notebook: Path, scale: str = "quick") -> tuple[Path, float]:
    """Run ``notebook`` with papermill at ``scale`` in its own folder; return the executed copy and seconds."""
    out = EXECUTED / notebook.relative_to(ROOT)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FSCORE_SCALE": scale, **QUIET}  # the executed copies become the book's pages
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(out), "--cwd", str(notebook.parent),
                           "--no-progress-bar", "-k", "python3"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise AssertionError(f"{notebook.relative_to(ROOT)} failed at {scale} scale:\n{done.stderr[-6000:]}")
    return out, seconds


def results(notebook: Path, scale: str = "quick") -> dict:
    return json.loads((ROOT / "results" / scale / f"{notebook.stem}.json").read_text())


def stage_book(target: Path) -> Path:
    """A copy of the book's sources in which every notebook is the executed one."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "_assets", target / "_assets")
    if not (ROOT / "_vendor" / "mathjax").is_dir():
        raise AssertionError("_vendor/mathjax is missing: run `bash scripts/fetch-mathjax` (make does it)")
    shutil.copytree(ROOT / "_vendor", target / "_vendor")
    shutil.copytree(ROOT / "chapters", target / "chapters", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_*"))
    # The chapters show fscore's source with literalinclude (../../fscore/...): the package is part of the sources.
    shutil.copytree(ROOT / "fscore", target / "fscore", ignore=shutil.ignore_patterns("__pycache__"))
    for notebook in notebooks():  # the committed notebook with its outputs, as `make book` would render it
        nbformat.write(with_outputs(notebook, EXECUTED / notebook.relative_to(ROOT)), target / notebook.relative_to(ROOT))
    return target


def build_book(source: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    """``jupyter-book build`` with the book's flags (warnings are errors), in a quiet environment."""
    return subprocess.run([JUPYTER_BOOK, "build", str(source), "--path-output", str(output),
                           "--warningiserror", "--keep-going", *extra], capture_output=True, text=True,
                          env={**os.environ, **QUIET})


def build_test_book() -> subprocess.CompletedProcess:
    """Build the book once from the executed chapters into ``_build/test-book`` (execution off)."""
    source = stage_book(ROOT / "_build" / "book-src")
    config = yaml.safe_load((source / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"  # already executed, once
    (source / "_config.yml").write_text(yaml.safe_dump(config))
    if TEST_BOOK.exists():
        shutil.rmtree(TEST_BOOK)
    done = build_book(source, TEST_BOOK)
    shutil.rmtree(source)
    return done


def with_outputs(notebook: Path, executed: Path) -> dict:
    """The committed ``notebook`` with the outputs of its ``executed`` copy, cell by cell (papermill adds metadata)."""
    nb, ran = nbformat.read(notebook, as_version=4), nbformat.read(executed, as_version=4)
    if [c.source for c in nb.cells] != [c.source for c in ran.cells]:
        raise AssertionError(f"{executed} is not an execution of {notebook}: run the notebook tests again")
    for cell, done in zip(nb.cells, ran.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
    return nb


def build_checkout(output: Path = CHECKOUT_BUILD) -> subprocess.CompletedProcess:
    """Build the checkout itself (``jupyter-book build .``, as ``make book`` does) with the executed chapters.

    Only two settings differ from ``_config.yml``: notebooks are taken from a jupyter-cache filled with their
    executed copies (``execute_notebooks: cache``: a notebook that matched no copy would run), and the HTML goes
    to ``output``. Every other file of the checkout is where it is: a file that is not a page must be excluded.
    """
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache_dir = ROOT / "_build" / "checkout-cache"
    if cache_dir.exists():
        shutil.rmtree(cache_dir)
    cache = get_cache(cache_dir)
    for notebook in notebooks():
        cache.cache_notebook_bundle(CacheBundleIn(with_outputs(notebook, EXECUTED / notebook.relative_to(ROOT)),
                                                  str(notebook)), check_validity=False, overwrite=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"].update({"execute_notebooks": "cache", "cache": str(cache_dir)})
    config_file = ROOT / "_build" / "checkout-config.yml"
    config_file.write_text(yaml.safe_dump(config))
    if output.exists():
        shutil.rmtree(output)
    return build_book(ROOT, output, "--config", str(config_file))
