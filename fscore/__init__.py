"""fscore: score candidates, then select them. The package behind the book *Scoring to Select*."""
__version__ = "0.1.0"

from fscore.claims import ClaimFailed  # noqa: E402
from fscore.runtime import Run, default_scale, start  # noqa: E402

__all__ = ["ClaimFailed", "Run", "default_scale", "start", "__version__"]
