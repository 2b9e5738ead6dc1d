"""scikit-learn's estimator checks over every feature selector of the book (issue 10).

``parametrize_with_checks`` runs scikit-learn's API checks (fit/transform/predict contracts, validation of
bad input, pickling, idempotence, ``n_features_in_``, not-fitted errors, ...) on each selector. The linear
selectors and the random baseline run with ``k=2`` (so the greedy methods take a second, conditional step);
the neural ones with ``k=1`` and a tiny network and budget, which keeps the module to a few seconds.

Every check that is deliberately expected to fail is listed in ``EXPECTED_FAILURES`` with the reason. The
text selectors of Part II (``DSIR``, ``HeuristicClassification``, ``RandomSelection``) are not run: their
``fit`` takes documents (``target, raw``), not a numeric ``(X, y)``, which the checks assume.
"""
import inspect

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fscore.features import (OMP, BestSubset, ForwardRegression, ForwardSelectionNet, GroupLassoNet,
                             LinearSequentialAttention, OMPNet, OneShotAttention, OneShotAttentionNet, RandomSubset,
                             SequentialAttentionNet, SequentialLasso, SequentialLassoNet)

TINY = dict(hidden=(2,), epochs=2, batch_size=64)

LINEAR = [OMP(k=2), ForwardRegression(k=2), SequentialLasso(k=2), LinearSequentialAttention(k=2),
          OneShotAttention(k=2), BestSubset(k=2), RandomSubset(k=2)]
NEURAL = [SequentialAttentionNet(k=1, **TINY), OneShotAttentionNet(k=1, attention_hidden=(2,), **TINY),
          SequentialLassoNet(k=1, **TINY), GroupLassoNet(k=1, **TINY), OMPNet(k=1, **TINY),
          ForwardSelectionNet(k=1, **TINY)]

EXPECTED_FAILURES = {
    # With k=2 and a single feature, fit raises ValueError("k=2 is out of range: choose 1 <= k <= 1 (the number
    # of features)"): a clear error, but not in the wording the check looks for ("1 feature(s)",
    # "n_features = 1"). The neural selectors run with k=1 and pass it.
    "check_fit2d_1feature": "k=2 cannot be chosen from one feature; fit says so in its own words",
}


def expected_failures(estimator):
    return EXPECTED_FAILURES if getattr(estimator, "k", None) == 2 else {}


_strict = {"xfail_strict": True} if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters else {}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/unit/conftest.py


@parametrize_with_checks(LINEAR + NEURAL, expected_failed_checks=expected_failures, **_strict)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_every_public_selector_is_checked():
    import fscore.features as features
    from fscore.features import FeatureSelector

    public = {name for name in features.__all__
              if inspect.isclass(getattr(features, name)) and issubclass(getattr(features, name), FeatureSelector)
              and getattr(features, name) is not FeatureSelector}
    assert public == {type(e).__name__ for e in LINEAR + NEURAL}
