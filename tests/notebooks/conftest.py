# The session fixtures `executed` and `test_book` live in tests/conftest.py: the browser tests share them.
