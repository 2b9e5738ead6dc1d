"""fscore.features.filters: scikit-learn's ANOVA F where a feature varies, 0 (and no warning) where it is constant."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.feature_selection import SelectKBest, f_classif

from fscore.features.filters import anova_f


def test_anova_f_equals_sklearn_where_features_vary_and_is_zero_where_constant():
    X, y = load_digits(return_X_y=True)
    constant = np.ptp(X, axis=0) == 0
    assert constant.any()  # digits has always-blank pixels: the case this function exists for
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F, p = anova_f(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F_ref, p_ref = f_classif(X, y)
    np.testing.assert_allclose(F[~constant], F_ref[~constant])
    np.testing.assert_allclose(p[~constant], p_ref[~constant])
    assert np.all(F[constant] == 0) and np.all(p[constant] == 1)


def test_anova_f_in_select_k_best_never_picks_a_constant_feature_and_never_warns():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    X = np.column_stack([np.zeros(60), y + rng.normal(0, 0.1, 60), rng.normal(size=60), np.full(60, 3.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        support = SelectKBest(anova_f, k=2).fit(X, y).get_support()
    assert support[1] and not support[0] and not support[3]


def test_anova_f_refuses_mismatched_input():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        anova_f(np.ones((5, 2)), [0, 1, 0])
