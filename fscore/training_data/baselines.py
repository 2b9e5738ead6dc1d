"""Baselines DSIR is compared with (Xie et al., NeurIPS 2023, Sec. 5): random selection and heuristic classification.

*Heuristic classification* (the GPT-3 / The Pile filter, Brown et al. 2020; Gao et al. 2020) trains a
binary linear classifier, target (1) against raw (0), on n-gram features and keeps the raw documents
it finds most target-like. Here it sees the same hashed n-gram counts as DSIR (rows scaled to unit
norm) and keeps the ``k`` highest decision values; the noise-free top-k of DSIR's own weights is
``DSIR.select(..., noise=False)``. All apply the same minimum-length filter.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer
from sklearn.utils.validation import check_is_fitted

from fscore.training_data.hashing import HashedNgrams, tokenize
from fscore.training_data.resampling import as_chunks, gumbel_top_k, random_subset
from fscore.validation import check_documents


class RandomSelection(BaseEstimator):
    """Random selection: ``k`` documents uniformly without replacement among those of at least ``min_length`` tokens.

    Parameters
    ----------
    min_length : int, default 100
        Shorter documents are never selected (DSIR's length filter, so that every method sees the same pool).

    References
    ----------
    Xie et al., NeurIPS 2023, Sec. 5: the "random selection" baseline.
    """

    def __init__(self, min_length: int = 100):
        self.min_length = min_length

    def select(self, texts, k: int, random_state=None) -> np.ndarray:
        """Sorted indices of ``k`` documents of ``texts`` drawn uniformly among the long enough ones."""
        check_documents(texts)
        lengths = np.fromiter((len(tokenize(t)) for t in texts), dtype=np.int64)
        return random_subset(lengths >= self.min_length, k, random_state)


class HeuristicClassification(BaseEstimator):
    """Heuristic classification: keep the documents a logistic regression on hashed n-grams finds most target-like.

    Parameters
    ----------
    num_buckets, ngrams, mode : as :class:`~fscore.training_data.dsir.DSIR`
        The hashed n-gram features, the same as DSIR's.
    min_length : int, default 100
        Shorter documents are never selected.
    C : float, default 1.0
        Inverse strength of the logistic regression's l2 penalty (scikit-learn's ``C``).

    Attributes
    ----------
    featurizer_ : HashedNgrams
    classifier_ : sklearn.pipeline.Pipeline
        Row normalisation, then a class-balanced logistic regression, target (1) against raw (0).

    References
    ----------
    Xie et al., NeurIPS 2023, Sec. 5 ("heuristic classification", the filter of GPT-3, Brown et al. 2020, and of
    The Pile, Gao et al. 2020).
    """

    def __init__(self, num_buckets: int = 10000, ngrams: int = 2, mode: str = "parity", min_length: int = 100,
                 C: float = 1.0):
        self.num_buckets = num_buckets
        self.ngrams = ngrams
        self.mode = mode
        self.min_length = min_length
        self.C = C

    def fit(self, target, raw):
        """Train the classifier: ``target`` documents (label 1) against ``raw`` documents (label 0)."""
        check_documents(target, "target")
        check_documents(raw, "raw")
        self.featurizer_ = HashedNgrams(self.num_buckets, self.ngrams, self.mode)
        target, raw = list(target), list(raw)
        if not target or not raw:
            raise ValueError("heuristic classification needs target and raw documents (one of them is empty)")
        X = self.featurizer_.transform(target + raw).astype(np.float64)
        y = np.r_[np.ones(len(target)), np.zeros(len(raw))]
        self.classifier_ = make_pipeline(Normalizer(), LogisticRegression(C=self.C, class_weight="balanced",
                                                                          max_iter=2000))
        self.classifier_.fit(X, y)
        return self

    def score_samples(self, texts) -> np.ndarray:
        """The classifier's log-odds that each document is from the target."""
        check_is_fitted(self, "classifier_")
        check_documents(texts)
        return self.classifier_.decision_function(self.featurizer_.transform(texts).astype(np.float64))

    def select(self, texts, k: int, random_state=None) -> np.ndarray:
        """Sorted indices of the ``k`` long-enough documents of ``texts`` the classifier finds most target-like.

        ``random_state`` is accepted for a common interface with the other selectors and unused (top-k).
        """
        check_is_fitted(self, "classifier_")
        texts = list(check_documents(texts))
        counts = self.featurizer_.transform(texts)
        valid = self.featurizer_.lengths(counts.sum(axis=1)) >= self.min_length
        scores = self.classifier_.decision_function(counts.astype(np.float64))
        return gumbel_top_k(as_chunks(scores, valid), k, noise=False)
