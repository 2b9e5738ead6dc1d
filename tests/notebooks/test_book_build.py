"""The book builds from the executed chapters with warnings as errors, and a failing notebook fails the build."""
import json
import subprocess

import pytest
import yaml

from tests.book_tools import HTML, JUPYTER_BOOK, ROOT, build_book, notebooks


def tiny_notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# A chapter"},
                      {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def tiny_book(folder, chapters, raise_on_error=True):
    """A two-page book with the project's own execution settings."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"]["config"]["nb_execution_raise_on_error"] = raise_on_error
    for key in ("html_static_path", "mathjax_path"):  # the vendored assets are not part of a tiny book
        config["sphinx"]["config"].pop(key, None)
    config.get("html", {}).pop("favicon", None)
    (folder / "_config.yml").write_text(yaml.safe_dump(config))
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
