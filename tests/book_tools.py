"""Shared by the notebook and book tests: find, execute (once per session) and stage the chapters."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from fscore.book import AFTER_THE_CHAPTERS, chapter_notebooks, toc_files  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed"
TEST_BOOK = ROOT / "_build" / "test-book"
HTML = TEST_BOOK / "_build" / "html"
JUPYTER_BOOK = str(Path(sys.executable).parent / "jupyter-book")


def notebooks() -> list[Path]:
    """Every chapter notebook of the toc, in reading order, the dashboard last (:func:`fscore.book.chapter_notebooks`)."""
    return chapter_notebooks(ROOT)


def execute(notebook: Path, scale: str = "quick") -> tuple[Path, float]:
    """Run ``notebook`` with papermill at ``scale`` in its own folder; return the executed copy and seconds."""
    out = EXECUTED / notebook.relative_to(ROOT)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FSCORE_SCALE": scale, "FSCORE_PROGRESS": os.environ.get("FSCORE_PROGRESS", "1")}
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
    if not (ROOT / "_vendor" / "mathjax").is_dir():
        raise AssertionError("_vendor/mathjax is missing: run `bash scripts/fetch-mathjax` (make does it)")
    shutil.copytree(ROOT / "_vendor", target / "_vendor")
    shutil.copytree(ROOT / "chapters", target / "chapters", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_*"))
    # The chapters show fscore's source with literalinclude (../../fscore/...): the package is part of the sources.
    shutil.copytree(ROOT / "fscore", target / "fscore", ignore=shutil.ignore_patterns("__pycache__"))
    for notebook in notebooks():
        shutil.copy(EXECUTED / notebook.relative_to(ROOT), target / notebook.relative_to(ROOT))
    return target


def build_book(source: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    """``jupyter-book build`` with the book's flags (warnings are errors)."""
    return subprocess.run([JUPYTER_BOOK, "build", str(source), "--path-output", str(output),
                           "--warningiserror", "--keep-going", *extra], capture_output=True, text=True)


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
