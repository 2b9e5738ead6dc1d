"""The scikit-learn selector that every feature-selection method of the book builds on."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted

from fscore.validation import check_k, validate_selector_data


class FeatureSelector(SelectorMixin, BaseEstimator):
    """Select ``k`` features; subclasses implement ``_select(X, y) -> picks in pick order``.

    ``fit`` validates the data once for every selector (:func:`fscore.validation.validate_selector_data`:
    finite 2-D ``X``, no constant column, a numeric and non-constant target for regression selectors, at
    least two classes for classification ones) and ``k`` (:func:`fscore.validation.check_k`), then calls
    ``_select`` on the validated arrays.

    Attributes
    ----------
    ranking_ : ndarray of int
        The selected feature indices in the order they were picked. It holds ``k`` features, or fewer when
        a greedy method stops early because the design ran out of rank (it warns when it does).
    n_features_selected_ : int
        ``len(ranking_)``.
    n_features_in_ : int
        The number of features seen in ``fit``.

    ``get_support()`` gives the boolean mask and ``transform`` keeps those columns, so a selector drops
    into a scikit-learn ``Pipeline``.
    """

    #: ``"regression"`` (numeric y, float64) or ``"classification"`` (labels).
    _task = "regression"

    def __init__(self, k: int = 10):
        self.k = k

    def fit(self, X, y):
        """Validate ``X`` and ``y``, then select ``k`` features (see the class docstring)."""
        X, y = validate_selector_data(self, X, y, task=self._task)
        check_k(self.k, X.shape[1])
        self.ranking_ = np.asarray(self._select(X, y), dtype=np.int64)
        self.n_features_selected_ = len(self.ranking_)
        return self

    def _select(self, X, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _get_support_mask(self):
        check_is_fitted(self, "ranking_")
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.ranking_] = True
        return mask

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
