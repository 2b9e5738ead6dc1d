"""fscore: score candidates, then select them. The package behind the book *Scoring to Select*.

The chapter entry points (``fscore.start``, ``fscore.Run``, ``fscore.ClaimFailed``, ``fscore.default_scale``) are
loaded on first use, so that importing one algorithm (e.g. ``fscore.training_data`` in a Dask worker) does not
import torch and the book machinery.
"""
from importlib import import_module

from fscore._version import __version__

_LAZY = {"ClaimFailed": "fscore.claims", "Run": "fscore.run", "start": "fscore.run",
         "default_scale": "fscore.runtime"}

__all__ = ["ClaimFailed", "Run", "default_scale", "start", "__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fscore' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
