"""Figures are numbered by chapter (Figure 7.1, 7.2 in ``ch07_...``), captions and references alike (fscore.sphinx_html)."""
import json
import re
import shutil

import pytest

from tests.book_tools import ROOT, build_book
from tests.notebooks.test_book_build import tiny_book, tiny_notebook


def figure_cell(name, caption):
    return {"cell_type": "code", "execution_count": None, "outputs": [], "source": "plt.plot([0, 1]); plt.show()",
            "metadata": {"mystnb": {"figure": {"name": name, "caption": caption}}}}


@pytest.mark.book
def test_a_chapters_figures_are_numbered_by_its_chapter_number(tmp_path):
    before = tiny_notebook("import matplotlib.pyplot as plt")
    before["cells"].append(figure_cell("fig-before", "A figure of another page."))
    chapter = tiny_notebook("import matplotlib.pyplot as plt")
    chapter["cells"] += [figure_cell("fig-ch07-first", "The first figure."),
                         {"cell_type": "markdown", "metadata": {}, "source": "As {numref}`fig-ch07-second` shows."},
                         figure_cell("fig-ch07-second", "The second figure.")]
    (tmp_path / "appendix.ipynb").write_text(json.dumps(before))
    (tmp_path / "ch07_demo.ipynb").write_text(json.dumps(chapter))
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    tiny_book(tmp_path, ["appendix", "ch07_demo"])
    done = build_book(tmp_path, tmp_path / "out")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = tmp_path / "out" / "_build" / "html"
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (html / "ch07_demo.html").read_text()))
    assert "Figure 7.1 The first figure." in page and "Figure 7.2 The second figure." in page
    assert "As Figure 7.2 shows." in page
    other = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (html / "appendix.html").read_text()))
    assert "Figure 1 A figure of another page." in other
