"""The student edition leaves out exactly the cells tagged 'solution'; the instructor edition is the default."""
import copy

import pytest

from fscore.editions import (check_edition, edition_from_environment, is_solution, tag_solutions_for_removal,
                             without_solutions)

SOLUTION = ":::{admonition} Solution\n:class: dropdown\nThe answer is 42.\n:::"


def notebook():
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "## Exercises\n\n**1.** Why?"},
                      {"cell_type": "markdown", "metadata": {"tags": ["solution"]}, "source": SOLUTION},
                      {"cell_type": "markdown", "metadata": {"tags": ["hide-input"]}, "source": "**2.** How?"},
                      {"cell_type": "markdown", "source": "no metadata at all"}]}


def test_only_cells_tagged_solution_are_solutions():
    assert [is_solution(c) for c in notebook()["cells"]] == [False, True, False, False]


def test_the_student_notebook_has_no_solution_and_keeps_every_other_cell():
    stripped = without_solutions(notebook())
    assert [c["source"] for c in stripped["cells"]] == ["## Exercises\n\n**1.** Why?", "**2.** How?", "no metadata at all"]
    assert "42" not in str(stripped)


def test_solutions_get_jupyter_books_remove_cell_tag_once_and_nothing_else_does():
    tagged = tag_solutions_for_removal(tag_solutions_for_removal(notebook()))
    assert [c.get("metadata", {}).get("tags") for c in tagged["cells"]] == \
        [None, ["solution", "remove-cell"], ["hide-input"], None]


def test_a_notebook_without_solutions_is_unchanged():
    plain = {"cells": [{"cell_type": "code", "metadata": {}, "source": "1"}]}
    assert tag_solutions_for_removal(copy.deepcopy(plain)) == plain == without_solutions(copy.deepcopy(plain))


@pytest.mark.parametrize("value, edition", [(None, "instructor"), ("", "instructor"), ("student", "student"),
                                            (" Student ", "student"), ("instructor", "instructor")])
def test_the_edition_comes_from_fscore_edition(monkeypatch, value, edition):
    if value is None:
        monkeypatch.delenv("FSCORE_EDITION", raising=False)
    else:
        monkeypatch.setenv("FSCORE_EDITION", value)
    assert edition_from_environment() == edition


def test_an_unknown_edition_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="instructor.*student.*EDITION=student"):
        check_edition("teacher")
