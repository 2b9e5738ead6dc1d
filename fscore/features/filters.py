"""Filter scores: one number a feature, computed from the data alone, before any model is trained.

:func:`anova_f` is scikit-learn's ANOVA :math:`F`-statistic (:func:`sklearn.feature_selection.f_classif`) for
features that vary; a feature that is constant (in the data it is given: in a cross-validation fold, the fold's
training rows) cannot separate the classes and scores :math:`F = 0`, :math:`p = 1`. scikit-learn would instead
warn and return ``nan`` for it (0/0), which is what a grid of pixels with always-blank corners, such as
scikit-learn's digits, gives.
"""
from __future__ import annotations

import numpy as np
from sklearn.feature_selection import f_classif
from sklearn.utils.validation import check_X_y


def anova_f(X, y) -> tuple[np.ndarray, np.ndarray]:
    """ANOVA :math:`F`-statistic of each feature for the classes ``y``, 0 for a constant feature.

    A drop-in score function for :class:`sklearn.feature_selection.SelectKBest`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels.

    Returns
    -------
    F : ndarray of shape (n_features,)
        :math:`F = \\frac{\\text{between-class mean square}}{\\text{within-class mean square}}` (one-way ANOVA),
        0 where the feature is constant.
    pvalues : ndarray of shape (n_features,)
        The :math:`F`-test's p-values, 1 where the feature is constant.

    Notes
    -----
    Equal to :func:`sklearn.feature_selection.f_classif` on every feature that varies (it is computed by it).
    """
    X, y = check_X_y(X, y, accept_sparse=False, dtype=np.float64)
    F, p = np.zeros(X.shape[1]), np.ones(X.shape[1])
    varies = np.ptp(X, axis=0) > 0
    if varies.any():
        F[varies], p[varies] = f_classif(X[:, varies], y)
    return F, p
