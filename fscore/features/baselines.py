"""The floor every feature selector must clear: ``k`` features drawn at random."""
from __future__ import annotations

from sklearn.utils import check_random_state

from fscore.features._base import FeatureSelector


class RandomSubset(FeatureSelector):
    """``k`` features drawn uniformly at random without replacement: the floor every method must clear."""

    _task = "classification"

    def __init__(self, k: int = 10, random_state=None):
        super().__init__(k)
        self.random_state = random_state

    def _select(self, X, y):
        return check_random_state(self.random_state).choice(X.shape[1], self.k, replace=False)

