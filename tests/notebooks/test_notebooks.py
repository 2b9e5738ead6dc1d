"""Every chapter: house rules on the committed notebook, then a quick-scale run whose claims must hold."""
import json
import re

import pytest

from fscore.editions import is_solution
from tests.book_tools import AFTER_THE_CHAPTERS, ROOT, notebooks, results, toc_files

NOTEBOOKS = notebooks()
CHAPTERS = [n for n in NOTEBOOKS if n.stem not in AFTER_THE_CHAPTERS]


def test_there_are_chapters_to_test():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_house_rules(notebook):
    nb = json.loads(notebook.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", []), "the first code cell must be tagged 'parameters'"
    assert "SCALE" in "".join(code[0]["source"]) and "SEED" in "".join(code[0]["source"])
    assert not any(c.get("outputs") or c.get("execution_count") for c in code), "outputs must be stripped in git"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
    missing = [i for i, c in enumerate(nb["cells"]) if not c.get("id")]
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5) and not missing, \
        f"every cell needs an id (nbformat 4.5; nbformat will refuse notebooks without): cells {missing}"
    assert str(notebook.relative_to(ROOT).with_suffix("")) in toc_files(ROOT), "the chapter must be listed in _toc.yml"
    assert "run.report()" in "".join(code[-1]["source"]), "the chapter must end with its reproduction checks"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_ready_to_teach(notebook):
    """Learning objectives, prerequisites and run time after the title; exercises, each followed by its solution in
    a markdown cell of its own tagged ``solution`` (reveal-able; the student edition removes it, fscore.editions)."""
    cells = json.loads(notebook.read_text())["cells"]
    opening = "".join(cells[1]["source"]) if cells[1]["cell_type"] == "markdown" else ""
    for part in (r"\*\*Learning objectives[.:]?\*\*", r"\*\*Prerequisites:\*\*", r"\*\*Run time:\*\*"):
        assert re.search(part, opening), f"the cell after the title must give the chapter's {part}"
    starts = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Exercises")]
    assert len(starts) == 1, "the chapter must have one '## Exercises' section"
    closing = cells[starts[0]:]
    assert all(c["cell_type"] == "markdown" for c in closing), "the exercises close the chapter, after the last code cell"
    assert len(closing) >= 4 and len(closing) % 2 == 0, "the exercises alternate: exercise cell, solution cell, ..."
    for exercise, solution in zip(closing[::2], closing[1::2]):
        assert not is_solution(exercise) and "{admonition} Solution" not in "".join(exercise["source"]), \
            "a solution must be in its own cell tagged 'solution', never in an exercise's cell"
        text = "".join(solution["source"]).strip()
        assert is_solution(solution), f"the cell after each exercise must be its solution, tagged 'solution': {text[:80]!r}"
        assert text.startswith(":::{admonition} Solution\n:class: dropdown\n") and text.endswith("\n:::"), \
            "a solution cell holds exactly one ':::{admonition} Solution' block with ':class: dropdown'"
        assert text.count(":::{admonition}") == 1
    outside = [i for i, c in enumerate(cells) if not is_solution(c) and "{admonition} Solution" in "".join(c["source"])]
    assert not outside, f"solutions outside cells tagged 'solution' would reach the student edition: cells {outside}"


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_quick_scale_and_its_claims_hold(notebook, executed):
    _, seconds = executed(notebook)
    data = results(notebook)
    assert data["complete"] and data["scale"] == "quick" and data["claims"]
    broken = [c["id"] for c in data["claims"] if c["holds"] != (c["expect"] == "holds")]
    assert not broken, f"claims not as expected: {broken}"
    print(f"{notebook.stem}: {seconds:.1f} s at quick scale")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_full_results_are_real_runs(notebook):
    path = ROOT / "results" / "full" / f"{notebook.stem}.json"
    if not path.exists():
        pytest.skip(f"no committed full-scale run of {notebook.stem} yet (needs FSCORE_SCALE=full on a GPU machine)")
    data = json.loads(path.read_text())
    assert data["scale"] == "full" and data["complete"]
    assert data["device"] and data["date"] and data["wall_time_s"] > 0
