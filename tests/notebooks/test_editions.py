"""`make book EDITION=student` builds a site without the exercise solutions; the instructor edition (default) keeps them."""
import json
import os
import shutil
import subprocess

import pytest

from tests.book_tools import JUPYTER_BOOK, ROOT
from tests.notebooks.test_book_build import tiny_book, tiny_notebook

ANSWER = "The answer is forty-two"


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """One tiny book with an exercise and its solution, built once in each edition."""
    folder = tmp_path_factory.mktemp("editions")
    notebook = tiny_notebook("print('the chapter ran')")
    notebook["cells"] += [
        {"cell_type": "markdown", "metadata": {}, "source": "## Exercises\n\n**1. Think.** What is the answer?"},
        {"cell_type": "markdown", "metadata": {"tags": ["solution"]},
         "source": f":::{{admonition}} Solution\n:class: dropdown\n{ANSWER}.\n:::"},
    ]
    book(folder, notebook)
    built = {}
    for edition in ("instructor", "student"):
        out = folder / edition
        done = subprocess.run([JUPYTER_BOOK, "build", str(folder), "--path-output", str(out), "--warningiserror",
                               "--keep-going"], capture_output=True, text=True,
                              env={**os.environ, "FSCORE_EDITION": edition})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        built[edition] = out / "_build" / "html"
    return built


def book(folder, notebook):
    """A tiny book of one chapter with the project's configuration (extensions, bibliography)."""
    (folder / "chapter.ipynb").write_text(json.dumps(notebook))
    shutil.copy(ROOT / "references.bib", folder / "references.bib")
    return tiny_book(folder, ["chapter"])


def site_text(html):
    return {path.relative_to(html).as_posix(): path.read_text(encoding="utf-8", errors="replace")
            for path in html.rglob("*") if path.is_file() and path.suffix in (".html", ".ipynb", ".js", ".txt")}


@pytest.mark.book
def test_the_instructor_edition_shows_the_solution_in_the_page_and_the_download(editions):
    html = editions["instructor"]
    page = (html / "chapter.html").read_text()
    assert ANSWER in page and "What is the answer?" in page and "the chapter ran" in page
    assert ANSWER in (html / "_sources" / "chapter.ipynb").read_text()


@pytest.mark.book
def test_the_student_edition_has_the_exercise_but_no_solution_anywhere(editions):
    html = editions["student"]
    page = (html / "chapter.html").read_text()
    assert "What is the answer?" in page and "the chapter ran" in page
    leaks = [name for name, text in site_text(html).items() if ANSWER in text]
    assert not leaks, f"the solution is in the student edition: {leaks}"
    downloaded = json.loads((html / "_sources" / "chapter.ipynb").read_text())
    assert [c["cell_type"] for c in downloaded["cells"]] == ["markdown", "code", "markdown"]


@pytest.mark.book
def test_an_unknown_edition_stops_the_build_and_names_the_choices(tmp_path):
    book(tmp_path, tiny_notebook("1"))
    done = subprocess.run([JUPYTER_BOOK, "build", str(tmp_path), "--path-output", str(tmp_path / "out")],
                          capture_output=True, text=True, env={**os.environ, "FSCORE_EDITION": "teacher"})
    assert done.returncode != 0 and "EDITION=student" in done.stdout + done.stderr
