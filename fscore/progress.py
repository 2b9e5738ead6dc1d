"""One progress bar for every long loop of the book.

Plain-text bars (no widgets) so that the executed notebooks render the same in the static HTML
book as in Jupyter; updates are spaced out so that saved outputs stay short.
"""
from __future__ import annotations

import os
import sys

from tqdm.std import tqdm


def progress(iterable=None, desc: str | None = None, total: int | None = None, **kwargs):
    """``tqdm`` with the book's settings; ``FSCORE_PROGRESS=0`` silences it."""
    disable = os.environ.get("FSCORE_PROGRESS", "1") == "0"
    options = dict(desc=desc, total=total, file=sys.stderr, ascii=True, ncols=88, mininterval=3.0,
                   disable=disable, leave=True)
    options.update(kwargs)
    return tqdm(iterable, **options)
