"""The book shows the code it runs: every `literalinclude` of a page names a file and an object that exist.

A chapter shows the lines of ``fscore`` that are a method's score and rule with a MyST ``literalinclude`` of the
package source, usually with ``:pyobject:`` (a function, a class or ``Class.method``), so that text and code cannot
drift apart. Sphinx only warns when the object is gone; this test fails, naming the page, the file and the object.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from fscore.book import notebook_title

ROOT = Path(__file__).resolve().parents[2]

#: The opening line of a MyST directive, in a backtick or colon fence: ```{literalinclude} path
DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{literalinclude\}\s*(?P<path>\S+)\s*$")
OPTION = re.compile(r"^:(?P<name>[\w-]+):\s*(?P<value>.*?)\s*$")


def page_texts(root: Path = ROOT) -> list[tuple[Path, str]]:
    """The markdown of every page of the book: ``.md`` files and the markdown cells of notebooks."""
    pages = []
    for path in sorted((root / "chapters").rglob("*")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        if path.suffix == ".md":
            pages.append((path, path.read_text(encoding="utf-8")))
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            pages += [(path, "".join(c["source"])) for c in cells if c["cell_type"] == "markdown"]
    return pages


def literalincludes(text: str) -> list[dict]:
    """Each ``literalinclude`` in ``text``: its path and its options (``pyobject``, ``lines``, ...)."""
    found, lines = [], text.splitlines()
    for number, line in enumerate(lines):
        match = DIRECTIVE.match(line.strip())
        if not match:
            continue
        options = {}
        for option_line in lines[number + 1:]:
            option = OPTION.match(option_line.strip())
            if not option:
                break
            options[option["name"]] = option["value"]
        found.append({"path": match["path"], "options": options})
    return found


def python_objects(source: str) -> set[str]:
    """The names ``:pyobject:`` can take in a module: functions and classes, and ``Class.method`` (nested)."""
    names: set[str] = set()

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(prefix + node.name)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{prefix}{node.name}.")

    visit(ast.parse(source).body, "")
    return names


def problems(page: Path, include: dict, root: Path = ROOT) -> list[str]:
    """What is wrong with one include of ``page`` (empty when the file and its object exist)."""
    path = include["path"]
    target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    where = f"{page.relative_to(root)}: literalinclude {path}"
    if not target.is_file():
        return [f"{where}: no such file"]
    pyobject = include["options"].get("pyobject")
    if pyobject and pyobject not in python_objects(target.read_text(encoding="utf-8")):
        return [f"{where}: no object {pyobject!r} in it (a function, a class or Class.method)"]
    return []


def all_includes(root: Path = ROOT) -> list[tuple[Path, dict]]:
    return [(page, include) for page, text in page_texts(root) for include in literalincludes(text)]


def test_every_included_file_and_object_of_the_book_exists():
    broken = [problem for page, include in all_includes() for problem in problems(page, include)]
    assert not broken, "\n".join(broken)


def test_the_book_shows_the_code_it_runs():
    """Not vacuous: the chapters do include fscore's source, by object."""
    included = [include for _, include in all_includes() if "pyobject" in include["options"]]
    assert any("fscore/" in include["path"] for include in included)


# The checker itself, on planted pages.

MODULE = '''
def score(x):
    return x

class Selector:
    def fit(self, X):
        def helper():
            pass
        return self

    class Inner:
        def step(self):
            pass
'''


def test_python_objects_finds_functions_classes_and_methods_but_not_locals():
    assert python_objects(MODULE) == {"score", "Selector", "Selector.fit", "Selector.Inner", "Selector.Inner.step"}


def test_literalincludes_reads_both_fences_and_their_options():
    text = ("Text.\n\n```{literalinclude} ../../fscore/a.py\n:pyobject: A.fit\n:caption: The fit\n\nbody\n```\n\n"
            "::::{literalinclude} /fscore/b.py\n:lines: 1-3\n::::\n\n```python\nliteralinclude\n```\n")
    assert literalincludes(text) == [
        {"path": "../../fscore/a.py", "options": {"pyobject": "A.fit", "caption": "The fit"}},
        {"path": "/fscore/b.py", "options": {"lines": "1-3"}},
    ]


@pytest.fixture
def book(tmp_path):
    (tmp_path / "fscore").mkdir()
    (tmp_path / "fscore" / "mod.py").write_text(MODULE)
    (tmp_path / "chapters" / "part").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("path, pyobject, problem", [
    ("../../fscore/mod.py", "Selector.fit", None),
    ("/fscore/mod.py", "Selector.Inner.step", None),
    ("../../fscore/mod.py", None, None),
    ("../../fscore/gone.py", "score", "no such file"),
    ("../../fscore/mod.py", "Selector.predict", "no object 'Selector.predict'"),
    ("../../fscore/mod.py", "helper", "no object 'helper'"),
])
def test_a_missing_file_or_object_is_named(book, path, pyobject, problem):
    page = book / "chapters" / "part" / "ch.md"
    options = f":pyobject: {pyobject}\n" if pyobject else ""
    page.write_text(f"# A page\n\n```{{literalinclude}} {path}\n{options}```\n")
    found = [p for pg, include in all_includes(book) for p in problems(pg, include, book)]
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0] and "chapters/part/ch.md" in found[0]


def test_includes_in_notebook_markdown_cells_are_checked(book):
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {},
                           "source": ["```{literalinclude} ../../fscore/mod.py\n", ":pyobject: gone\n", "```"]},
                          {"cell_type": "code", "metadata": {}, "source": "```{literalinclude} nothing.py\n```"}]}
    (book / "chapters" / "part" / "ch.ipynb").write_text(json.dumps(notebook))
    found = [p for pg, include in all_includes(book) for p in problems(pg, include, book)]
    assert found == ["chapters/part/ch.ipynb: literalinclude ../../fscore/mod.py: no object 'gone' in it "
                     "(a function, a class or Class.method)"]


def test_the_sidebar_numbers_each_chapter_as_its_heading_and_the_plan_do():
    """A chapter ``chNN_...`` has a short sidebar title "NN. ..." in _toc.yml and the heading "# NN. ..."."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [entry for part in toc["parts"] for entry in part["chapters"]]
    chapters = [entry for entry in entries if re.match(r"ch\d+_", Path(entry["file"]).name)]
    assert len(chapters) >= 2
    for entry in chapters:
        number = int(re.match(r"ch(\d+)_", Path(entry["file"]).name)[1])
        title = entry.get("title", "")
        assert title.startswith(f"{number}. ") and len(title) <= 45, \
            f"{entry['file']}: the sidebar title must be short and start with '{number}. ', got {title!r}"
        notebook = ROOT / f"{entry['file']}.ipynb"
        assert notebook_title(notebook).startswith(f"{number}. "), \
            f"{notebook.name}: the heading must be '# {number}. ...', got {notebook_title(notebook)!r}"


def toc_chapter_numbers() -> set[int]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [Path(entry["file"]).name for part in toc["parts"] for entry in part["chapters"]]
    return {int(match[1]) for name in names if (match := re.match(r"ch(\d+)_", name))}


def test_the_intro_and_the_course_outline_say_which_chapters_are_written():
    """The intro's table (written / coming) and the course outline's marks agree with the toc."""
    written, coming = set(), set()
    for row in (ROOT / "chapters" / "intro.md").read_text().splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if row.startswith("|") and len(cells) == 3 and not set("".join(cells)) <= set("-:"):
            written |= {int(n) for n in re.findall(r"(?:^|; )(\d+)\. ", cells[1])}
            coming |= {int(n) for n in re.findall(r"(?:^|; )(\d+)\. ", cells[2])}
    assert written == toc_chapter_numbers(), "the intro's 'written' column must list exactly the chapters of _toc.yml"
    assert not coming & written and written | coming == set(range(19)), "the intro must list every planned chapter once"
    outline = (ROOT / "chapters" / "part9_appendix" / "course_outline.md").read_text()
    marked = {int(n) for n in re.findall(r"^\| ✓ \| (\d+)\. ", outline, flags=re.M)}
    assert marked == toc_chapter_numbers(), "the course outline's ✓ marks must be exactly the chapters of _toc.yml"
