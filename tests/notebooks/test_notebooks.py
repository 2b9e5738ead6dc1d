"""Every chapter: house rules on the committed notebook, then a quick-scale run whose claims must hold."""
import json

import pytest

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
    assert str(notebook.relative_to(ROOT).with_suffix("")) in toc_files(ROOT), "the chapter must be listed in _toc.yml"
    assert "run.report()" in "".join(code[-1]["source"]), "the chapter must end with its reproduction checks"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_ready_to_teach(notebook):
    """Prerequisites and run time after the title; exercises with reveal-able solutions at the end."""
    cells = [("".join(c["source"]), c["cell_type"]) for c in json.loads(notebook.read_text())["cells"]]
    opening = cells[1][0] if cells[1][1] == "markdown" else ""
    assert "**Prerequisites:**" in opening and "**Run time:**" in opening, \
        "the cell after the title must give the chapter's **Prerequisites:** and **Run time:**"
    exercises, kind = cells[-1]
    assert kind == "markdown" and exercises.startswith("## Exercises"), "the chapter must close with '## Exercises'"
    solutions = exercises.count(":::{admonition} Solution")
    assert solutions >= 2 and exercises.count(":class: dropdown") == solutions, \
        "each exercise needs a solution the reader reveals (an admonition with :class: dropdown)"


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
