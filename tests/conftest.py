import os

import pytest

# The suite runs offline at quick scale on the CPU, with quiet progress bars.
os.environ.setdefault("FSCORE_SCALE", "quick")
os.environ.setdefault("FSCORE_PROGRESS", "0")

from tests.book_tools import AFTER_THE_CHAPTERS, build_test_book, execute, notebooks  # noqa: E402


@pytest.fixture(scope="session")
def executed():
    """Execute each notebook at most once per session, whichever test asks first.

    A notebook that reads the other chapters' results (the dashboard) first has every chapter executed,
    whatever order the tests run in. A notebook that fails is not run again: its failure is kept and re-raised.
    """
    cache = {}

    def run(notebook):
        if notebook.stem in AFTER_THE_CHAPTERS:
            for other in notebooks():
                if other.stem not in AFTER_THE_CHAPTERS:
                    try:
                        run(other)
                    except AssertionError:  # a failed chapter is reported by its own test; the dashboard shows it
                        pass
        if notebook not in cache:
            try:
                cache[notebook] = execute(notebook)
            except AssertionError as error:  # a failure too is executed once: every later test re-raises it
                cache[notebook] = error
        if isinstance(cache[notebook], AssertionError):
            raise cache[notebook]
        return cache[notebook]

    return run


@pytest.fixture(scope="session")
def test_book(executed):
    """The book built once per session from the executed chapters: ``jupyter-book build``'s CompletedProcess.

    Shared by the book-build test and the browser tests, whichever asks first.
    """
    for notebook in notebooks():
        executed(notebook)
    return build_test_book()
