import pytest

from tests.book_tools import execute


@pytest.fixture(scope="session")
def executed():
    """Execute each notebook at most once per session, whichever test asks first."""
    cache = {}

    def run(notebook):
        if notebook not in cache:
            cache[notebook] = execute(notebook)
        return cache[notebook]

    return run
