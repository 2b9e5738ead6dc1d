"""The book builds from the executed chapters with warnings as errors, and a failing notebook fails the build.

Also in the checkout itself, as ``make book`` builds it, after the suite (and the tools a reader uses) have left
their files in it: only the pages of the toc are pages.
"""
import contextlib
import json
import shutil
import subprocess

import pytest
import yaml

from tests.book_tools import CHECKOUT_BUILD, HTML, JUPYTER_BOOK, ROOT, build_book, build_checkout, notebooks


def tiny_notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# A chapter"},
                      {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def tiny_book(folder, chapters, raise_on_error=True):
    """A two-page book with the project's own execution settings."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"]["config"]["nb_execution_raise_on_error"] = raise_on_error
    for key in ("html_static_path", "mathjax_path", "html_css_files"):  # the book's assets are not in a tiny book
        config["sphinx"]["config"].pop(key, None)
    config.get("html", {}).pop("favicon", None)
    (folder / "_config.yml").write_text(yaml.safe_dump(config))
    shutil.copy(ROOT / "references.bib", folder / "references.bib")  # the bibliography the configuration names
    (folder / "intro.md").write_text("# Tiny book\n")
    (folder / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": "intro",
                                                     "chapters": [{"file": name} for name in chapters]}))
    return folder


@pytest.fixture
def planted(tmp_path):
    (tmp_path / "good.ipynb").write_text(json.dumps(tiny_notebook("print(1 + 1)")))
    (tmp_path / "bad.ipynb").write_text(json.dumps(tiny_notebook("raise RuntimeError('planted failure')")))
    return tmp_path


@pytest.mark.book
def test_a_book_of_passing_notebooks_builds(planted):
    done = build_book(tiny_book(planted, ["good"]), planted / "out")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.book
def test_a_planted_failing_notebook_fails_the_build(planted):
    done = build_book(tiny_book(planted, ["good", "bad"]), planted / "out")
    assert done.returncode != 0
    assert "planted failure" in done.stdout + done.stderr


@pytest.mark.book
def test_without_our_settings_jupyter_book_would_pass_a_failing_notebook(planted):
    """The reason for nb_execution_raise_on_error and --warningiserror: jupyter-book alone exits 0."""
    tiny_book(planted, ["good", "bad"], raise_on_error=False)
    done = subprocess.run([JUPYTER_BOOK, "build", str(planted), "--path-output",
                           str(planted / "out")], capture_output=True, text=True)
    assert done.returncode == 0


@pytest.mark.book
def test_the_book_builds_from_the_executed_chapters(test_book):
    done = test_book
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    for notebook in notebooks():
        page = HTML / notebook.relative_to(ROOT).with_suffix(".html")
        assert page.is_file() and "Reproduction checks" in page.read_text()


#: Files that tools leave in a checkout, none of them a page: pytest's cache, an editor's or a tool's hidden
#: folder, Jupyter's checkpoints, a stray note in the build folder.
STRAYS = {
    ".pytest_cache/README.md": "# pytest cache directory #\n",
    ".stray-tool/foo.md": "# not a page\n",
    "chapters/.hidden/notes.md": "# not a page either\n",
    "chapters/part9_appendix/.ipynb_checkpoints/dashboard-checkpoint.ipynb": json.dumps(tiny_notebook("1")),
    "_build/stray.md": "# a build's leftovers\n",
}


@contextlib.contextmanager
def strays():
    """Plant the stray files in the real checkout (never overwriting one), and remove exactly what was planted."""
    made_files, made_dirs = [], []
    try:
        for relative, text in STRAYS.items():
            path = ROOT / relative
            missing_dirs = [p for p in reversed(path.parents) if not p.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs += missing_dirs
            if not path.exists():
                path.write_text(text)
                made_files.append(path)
        yield
    finally:
        for path in made_files:
            path.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


@pytest.mark.book
def test_the_checkout_itself_builds_whatever_files_lie_around(executed):
    """`make test` then `make book` (or the reverse) in one checkout: jupyter-book reads only the toc's pages.

    The real ``jupyter-book build .`` with the book's flags in the checkout's root, after the suite has run (results,
    executed notebooks, the test book) and with the planted strays; the executed chapters come from a jupyter-cache.
    """
    for notebook in notebooks():
        executed(notebook)
    with strays():
        done = build_checkout()
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]
    assert "WARNING" not in log and "Executing notebook" not in log, log[-5000:]
    html = CHECKOUT_BUILD / "_build" / "html"
    for notebook in notebooks():
        page = html / notebook.relative_to(ROOT).with_suffix(".html")
        assert page.is_file() and 'class="table fscore-claims"' in page.read_text(), \
            f"{page} lacks its executed reproduction checks"
    built = {p.relative_to(html).as_posix() for p in html.rglob("*.html")}
    assert not [p for p in built if p.startswith((".", "_build", "chapters/.")) or "/." in p or "README" in p]
