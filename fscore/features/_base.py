"""The scikit-learn selector that every feature-selection method of the book builds on."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from fscore.validation import check_k, check_no_constant_columns


class FeatureSelector(SelectorMixin, BaseEstimator):
    """Select ``k`` features; subclasses implement ``_select(X, y) -> picks in pick order``.

    After ``fit``: ``ranking_`` holds the selected feature indices in the order they were picked,
    ``get_support()`` the boolean mask, and ``transform`` keeps those columns, so a selector drops
    into a scikit-learn ``Pipeline``.
    """

    #: ``"regression"`` (numeric y, float64) or ``"classification"`` (labels).
    _task = "regression"

    def __init__(self, k: int = 10):
        self.k = k

    def fit(self, X, y):
        X, y = self._validate(X, y)
        check_k(self.k, X.shape[1])
        check_no_constant_columns(X)
        self.ranking_ = np.asarray(self._select(X, y), dtype=np.int64)
        return self

    def _validate(self, X, y):
        regression = self._task == "regression"
        X, y = validate_data(self, X, y, dtype=np.float64 if regression else np.float32, y_numeric=regression,
                             ensure_min_samples=2)
        if not regression and np.unique(y).size < 2:
            raise ValueError("y has a single class: selection for classification needs at least two")
        return X, y

    def _select(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _get_support_mask(self):
        check_is_fitted(self, "ranking_")
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.ranking_] = True
        return mask
