"""The plotting style shared by every chapter, and a few figure helpers."""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

#: One colour per method family, so a method keeps its colour across chapters.
PALETTE = {
    "sequential attention": "#d62728",
    "omp": "#1f77b4",
    "greedy": "#2ca02c",
    "sequential lasso": "#9467bd",
    "one-shot attention": "#ff7f0e",
    "correlation": "#8c564b",
    "best subset": "#111111",
    "random": "#7f7f7f",
}

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titleweight": "bold",
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 1.8,
    "font.family": "DejaVu Sans",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a chapter)."""
    mpl.rcParams.update(STYLE)


def color(method: str, default: str = "#17becf") -> str:
    """The colour of a method, by family name (case-insensitive)."""
    return PALETTE.get(method.lower(), default)


def image_of_picks(picks, shape, ax=None, cmap="viridis", title=None):
    """Draw selected pixels on an image grid, coloured by pick order: the first pick darkest.

    The colour bar runs the same way, pick 1 (darkest) at the top down to the last pick (lightest), with
    integer ticks.

    Parameters
    ----------
    picks : sequence of int
        Flat pixel indices in pick order.
    shape : tuple of int
        The image's shape, e.g. ``(28, 28)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: the current axes).
    cmap : str, default="viridis"
        A colour map that runs from dark to light, so that early picks are dark.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    grid = np.full(int(np.prod(shape)), np.nan)
    grid[np.asarray(picks)] = np.arange(1, len(picks) + 1)
    ax = ax or plt.gca()
    shown = ax.imshow(grid.reshape(shape), cmap=cmap, vmin=1, vmax=max(len(picks), 2))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title)
    bar = plt.colorbar(shown, ax=ax, fraction=0.046, pad=0.04, label="pick order")
    bar.ax.invert_yaxis()  # pick 1, the darkest, at the top
    bar.ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    return ax
