"""One progress bar for every long loop of the book: in interactive runs, never in the rendered pages.

Plain-text bars (no widgets) so that a notebook run shows the same in Jupyter and in a terminal; updates
are spaced out so that saved outputs stay short. Whether bars are drawn is decided by the environment:

* ``FSCORE_PROGRESS=0`` silences them, ``FSCORE_PROGRESS=1`` draws them;
* unset, they are drawn unless ``TQDM_DISABLE`` is set (tqdm's own switch, which also silences the bars of
  other packages, e.g. the official DSIR package that Chapter 7 compares against).

Every book build sets both to silence (``make book``, the test suite, and :mod:`fscore.sphinx_html` for any
``jupyter-book build``): a bar is written to stderr, and nothing on stderr belongs in a page.
"""
from __future__ import annotations

import os
import sys

from tqdm.std import tqdm

_OFF = ("0", "false", "no", "off")


def enabled() -> bool:
    """Whether progress bars are drawn in this environment (see the module's docstring)."""
    setting = os.environ.get("FSCORE_PROGRESS", "").strip().lower()
    if setting:
        return setting not in _OFF
    return os.environ.get("TQDM_DISABLE", "").strip().lower() in ("",) + _OFF


def progress(iterable=None, desc: str | None = None, total: int | None = None, **kwargs):
    """``tqdm`` with the book's settings, drawn only where :func:`enabled` says so."""
    options = dict(desc=desc, total=total, file=sys.stderr, ascii=True, ncols=88, mininterval=3.0,
                   disable=not enabled(), leave=True)
    options.update(kwargs)
    return tqdm(iterable, **options)
