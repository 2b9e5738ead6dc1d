"""Where the book's files live: the project root and its committed data (results: :mod:`fscore.results`)."""
from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """``FSCORE_ROOT``, else the nearest folder above the working directory (or this package) with a ``_toc.yml``."""
    if os.environ.get("FSCORE_ROOT"):
        return Path(os.environ["FSCORE_ROOT"]).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "_toc.yml").is_file():
                return folder
    return Path.cwd()


def data_dir() -> Path:
    """The project's committed small data sets."""
    return project_root() / "data"
