"""fscore: score candidates, then select them. The package behind the book *Scoring to Select*."""
from fscore._version import __version__  # noqa: E402

from fscore.claims import ClaimFailed  # noqa: E402
from fscore.run import Run, start  # noqa: E402
from fscore.runtime import default_scale  # noqa: E402

__all__ = ["ClaimFailed", "Run", "default_scale", "start", "__version__"]
