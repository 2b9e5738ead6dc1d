"""The floor every feature selector must clear: ``k`` features drawn at random."""
from __future__ import annotations

from sklearn.utils import check_random_state

from fscore.features._base import FeatureSelector


class RandomSubset(FeatureSelector):
    """``k`` features drawn uniformly at random without replacement: the floor every method must clear.

    The random baseline of Yasuda et al. (ICLR 2023, Sec. 4). It ignores ``y`` but validates it like
    every selector (labels with at least two classes), so that it drops into the same experiments.

    Parameters
    ----------
    k : int, default=10
        The number of features to select.
    random_state : int, RandomState or None, default=None
        Fixes the draw: the same ``random_state`` gives the same features.

    Attributes
    ----------
    ranking_ : ndarray of int
        The ``k`` features, in the order drawn.
    """

    _task = "classification"

    def __init__(self, k: int = 10, random_state=None):
        super().__init__(k)
        self.random_state = random_state

    def _select(self, X, y):
        return check_random_state(self.random_state).choice(X.shape[1], self.k, replace=False)
