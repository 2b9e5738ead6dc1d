"""The book's two editions: the instructor edition shows each exercise's solution, the student edition has none.

Every chapter closes with ``## Exercises``: each exercise is a markdown cell, followed by its solution in a
markdown cell of its own tagged ``solution`` (a ``:::{admonition} Solution`` block with ``:class: dropdown``, so
that a reader of the instructor edition reveals it with a click). The edition is chosen when the book is built:

    make book                    # the instructor edition (the default): solutions included
    make book EDITION=student    # the student edition: no solution anywhere in the site

``make`` passes ``EDITION`` on as the environment variable ``FSCORE_EDITION``, which sets the Sphinx configuration
value ``fscore_edition`` (so switching editions rebuilds every page). This module is a Sphinx extension, listed
in ``_config.yml``; in the student edition it

* adds jupyter-book's ``remove-cell`` tag to every cell tagged ``solution`` as each notebook is read, so the
  solutions are in neither the pages nor the search index;
* removes those cells from the copies of the notebooks that each page's download button serves
  (``_sources/**/*.ipynb``), so that a student cannot download them either.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

EDITIONS = ("instructor", "student")
SOLUTION_TAG = "solution"
REMOVE_TAG = "remove-cell"  # jupyter-book's (myst-nb's) tag for a cell that is left out of the page


def edition_from_environment() -> str:
    """``FSCORE_EDITION`` (``instructor`` or ``student``), ``instructor`` when it is unset or empty."""
    return check_edition(os.environ.get("FSCORE_EDITION", "").strip().lower() or "instructor")


def check_edition(edition: str) -> str:
    if edition not in EDITIONS:
        raise ValueError(f"the book's edition must be one of {EDITIONS}, got {edition!r} "
                         f"(set EDITION=student or EDITION=instructor for make, FSCORE_EDITION for jupyter-book)")
    return edition


def is_solution(cell: dict) -> bool:
    """Whether a notebook cell is an exercise's solution (tagged ``solution``)."""
    return SOLUTION_TAG in (cell.get("metadata") or {}).get("tags", [])


def tag_solutions_for_removal(notebook: dict) -> dict:
    """The notebook with ``remove-cell`` added to the tags of every solution cell (in place; returned)."""
    for cell in notebook.get("cells", []):
        if is_solution(cell):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if REMOVE_TAG not in tags:
                tags.append(REMOVE_TAG)
    return notebook


def without_solutions(notebook: dict) -> dict:
    """The notebook without its solution cells (in place; returned)."""
    notebook["cells"] = [cell for cell in notebook.get("cells", []) if not is_solution(cell)]
    return notebook


def _read_notebook(app, docname, source):
    """``source-read``: in the student edition, tag every solution cell of a notebook for removal."""
    if app.config.fscore_edition != "student" or not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    source[0] = json.dumps(tag_solutions_for_removal(json.loads(source[0])), ensure_ascii=False)


def _strip_downloads(app, exception):
    """``build-finished``: in the student edition, drop the solution cells from the downloadable notebooks."""
    if exception is not None or app.config.fscore_edition != "student" or app.builder.format != "html":
        return
    for path in (Path(app.outdir) / "_sources").rglob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(without_solutions(notebook), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")


def _check_config(app, config):
    check_edition(config.fscore_edition)


def setup(app):
    app.add_config_value("fscore_edition", edition_from_environment(), "env", [str])
    app.connect("config-inited", _check_config)
    app.connect("source-read", _read_notebook)
    app.connect("build-finished", _strip_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
