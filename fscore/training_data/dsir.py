"""DSIR: data selection with importance resampling (Xie, Santurkar, Ma & Liang, NeurIPS 2023).

Given a few target documents and a large raw pool, DSIR selects ``k`` raw documents distributed like
the target, in a feature space where the two densities can be estimated (Sec. 3):

1. features ``z = h(x)``: hashed unigram and bigram counts over ``B`` buckets (:mod:`fscore.training_data.hashing`);
2. bag-of-n-grams models: the target's bucket distribution ``p_hat`` and the raw pool's ``q_hat`` (the
   paper's ``gamma`` and ``beta``), each the normalised total count, so that a document's likelihoods are
   ``prod_b p_hat_b^{z_b}`` and ``prod_b q_hat_b^{z_b}``;
3. importance weights ``w_i``: ``log w_i = sum_b z_b (log p_hat_b - log q_hat_b)`` with ``z = h(x_i)``,
   smoothed as in the official package: ``log(p_hat_b + 1e-8) - log(q_hat_b + 1e-8)``;
4. resampling: ``k`` documents without replacement with probabilities proportional to ``w_i``, by the
   Gumbel top-k trick (:mod:`fscore.training_data.resampling`), among documents of at least
   ``min_length`` tokens (the official default is 100).

The symbols are those of the book's notation page (``chapters/notation.md``).

``temperature`` divides the log-weights (resampling with ``w^(1/T)``): ``T = 1`` is DSIR, larger ``T``
moves towards uniform sampling. Several targets (``target_groups``) give one weight column per
target, resampled in turn in proportion (the official ``separate_targets=True``).
"""
from __future__ import annotations

from itertools import islice

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from fscore.training_data.hashing import HashedNgrams
from fscore.training_data.metrics import SMOOTHING
from fscore.training_data.resampling import as_chunks, gumbel_top_k, gumbel_top_k_per_target
from fscore.validation import check_documents


def batches(texts, size: int):
    """Lists of at most ``size`` documents from any iterable (a generator over a file streams)."""
    iterator = iter(texts)
    while batch := list(islice(iterator, size)):
        yield batch


class DSIR(BaseEstimator):
    """Hashed n-gram DSIR with a scikit-learn interface (Xie et al., NeurIPS 2023, Sec. 3 and Algorithm 1).

    Parameters
    ----------
    num_buckets : int, default 10000
        ``B``, the number of hash buckets of the featuriser (:class:`~fscore.training_data.hashing.HashedNgrams`).
    ngrams : int, default 2
        The largest n-gram order counted (unigrams and bigrams by default, as in the paper).
    mode : {"parity", "fast"}, default "parity"
        ``"parity"`` reproduces the official package's buckets and weights; ``"fast"`` hashes faster.
    min_length : int, default 100
        Documents with fewer tokens are never selected (the official default).
    temperature : float, default 1.0
        ``T``: the log-weights are divided by it, i.e. resampling by ``w_i^(1/T)`` (1 is DSIR).
    batch_size : int, default 2000
        Documents featurised at a time, which bounds memory on streams.

    Attributes
    ----------
    raw_probs_ : ndarray of shape (num_buckets,)
        ``q_hat``, the raw pool's bag-of-n-grams distribution (the paper's ``beta``).
    target_probs_ : ndarray of shape (n_targets, num_buckets)
        ``p_hat``, each target's bag-of-n-grams distribution (the paper's ``gamma``).
    log_ratio_ : ndarray of shape (n_targets, num_buckets)
        ``log(p_hat + 1e-8) - log(q_hat + 1e-8)``: a document's log importance weight is its bucket counts times it.
    target_proportions_ : ndarray of shape (n_targets,)
        The share of the selection each target gets.
    target_labels_ : ndarray or None
        The target groups, in the order of the rows above (``None`` for a single target).

    References
    ----------
    Xie, Santurkar, Ma & Liang, "Data Selection for Language Models via Importance Resampling", NeurIPS 2023,
    Sec. 3 (hashed n-gram features, bag-of-n-grams models, importance weights, resampling); the official
    package ``data-selection`` 1.0.3 (``HashedNgramDSIR``), whose buckets, weights and selections ``mode="parity"``
    reproduces exactly.
    """

    def __init__(self, num_buckets: int = 10000, ngrams: int = 2, mode: str = "parity", min_length: int = 100,
                 temperature: float = 1.0, batch_size: int = 2000):
        self.num_buckets = num_buckets
        self.ngrams = ngrams
        self.mode = mode
        self.min_length = min_length
        self.temperature = temperature
        self.batch_size = batch_size

    @property
    def featurizer(self) -> HashedNgrams:
        if getattr(self, "_featurizer", None) is None or self._featurizer_params != self._params():
            self._featurizer = HashedNgrams(self.num_buckets, self.ngrams, self.mode)
            self._featurizer_params = self._params()
        return self._featurizer

    def _params(self):
        return self.num_buckets, self.ngrams, self.mode

    def count(self, texts) -> np.ndarray:
        """Total bucket counts of ``texts`` (any iterable, consumed in batches); raises if it is empty."""
        check_documents(texts)
        totals, n_docs = np.zeros(self.featurizer.num_buckets, dtype=np.int64), 0
        for batch in batches(texts, self.batch_size):
            totals += np.bincount(self.featurizer.pairs(batch)[1], minlength=len(totals))
            n_docs += len(batch)
        if n_docs == 0:
            raise ValueError("no documents: the corpus is empty")
        return totals

    def fit(self, target, raw, target_groups=None, target_proportions=None):
        """Estimate the target's and the raw pool's bag-of-n-grams models, ``p_hat`` and ``q_hat``.

        Parameters
        ----------
        target, raw : iterable of str
            The target documents and the raw pool (``raw`` may be a stream: it is read once, in batches).
        target_groups : array-like of shape (n_target_documents,), optional
            The target each target document belongs to: one model per target (per-target DSIR, the official
            package's ``separate_targets=True``).
        target_proportions : array-like of shape (n_targets,), optional
            Each target's share of the selection (default: its share of the target n-grams, as the official
            package).

        Returns
        -------
        self
        """
        check_documents(raw, "raw")
        target_counts, labels = self.target_counts(target, target_groups)
        return self.fit_counts(target_counts, self.count(raw), target_proportions, labels)

    def target_counts(self, target, target_groups=None):
        """Bucket counts ``(n_targets, num_buckets)`` of the target documents, one row per group, and the groups."""
        check_documents(target, "target")
        if target_groups is None:
            return self.count(target)[None, :], None
        target, target_groups = list(target), np.asarray(target_groups)
        if len(target_groups) != len(target):
            raise ValueError(f"target_groups has {len(target_groups)} labels for {len(target)} target documents")
        labels = np.unique(target_groups)
        counts = np.stack([self.count([t for t, g in zip(target, target_groups) if g == label]) for label in labels])
        return counts, labels

    def fit_counts(self, target_counts, raw_counts, target_proportions=None, target_labels=None):
        """Fit from bucket counts already summed: ``p_hat``, ``q_hat`` and the vector of log ratios (Sec. 3).

        Parameters
        ----------
        target_counts : array-like of shape (n_targets, num_buckets) or (num_buckets,)
        raw_counts : array-like of shape (num_buckets,)
        target_proportions, target_labels : optional
            As in :meth:`fit`.

        Returns
        -------
        self
        """
        target_counts = np.atleast_2d(np.asarray(target_counts, dtype=np.float64))
        raw_counts = np.asarray(raw_counts, dtype=np.float64)
        if target_counts.shape[1] != raw_counts.shape[0] or raw_counts.shape[0] != self.featurizer.num_buckets:
            raise ValueError(f"counts over {target_counts.shape[1]} and {raw_counts.shape[0]} buckets; "
                             f"expected {self.featurizer.num_buckets}")
        if raw_counts.sum() <= 0 or np.any(target_counts.sum(axis=1) <= 0):
            raise ValueError("a target or the raw corpus has no n-grams (empty documents only?)")
        self.raw_probs_ = raw_counts / raw_counts.sum()
        self.target_probs_ = target_counts / target_counts.sum(axis=1, keepdims=True)
        self.log_ratio_ = np.log(self.target_probs_ + SMOOTHING) - np.log(self.raw_probs_ + SMOOTHING)
        sizes = target_counts.sum(axis=1) if target_proportions is None else np.asarray(target_proportions, float)
        if sizes.shape != (len(target_counts),) or np.any(sizes < 0) or sizes.sum() <= 0:
            raise ValueError(f"target_proportions must be {len(target_counts)} non-negative numbers, got {sizes}")
        self.target_proportions_ = sizes / sizes.sum()
        self.target_labels_ = target_labels
        return self

    def weigh(self, texts):
        """Log importance weights ``log w_i / T`` of ``texts`` (Sec. 3), and their lengths in tokens.

        Parameters
        ----------
        texts : iterable of str

        Returns
        -------
        log_weights : ndarray of shape (n_documents, n_targets)
            Each document's bucket counts times :attr:`log_ratio_`, divided by the temperature.
        lengths : ndarray of shape (n_documents,)
            Tokens in each document (the length filter's measure).
        """
        check_is_fitted(self, "log_ratio_")
        check_documents(texts)
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature!r}")
        logw, lengths = [], []
        for batch in batches(texts, self.batch_size):
            rows, cols = self.featurizer.pairs(batch)
            logw.append(np.stack([np.bincount(rows, weights=ratio[cols], minlength=len(batch))
                                  for ratio in self.log_ratio_], axis=1))
            lengths.append(self.featurizer.lengths(np.bincount(rows, minlength=len(batch))))
        if not logw:
            raise ValueError("no documents: the corpus is empty")
        return np.concatenate(logw) / self.temperature, np.concatenate(lengths)

    def score_samples(self, texts) -> np.ndarray:
        """Log importance weight of each document, ``log p(h(x)) - log q(h(x))`` (one column per target if several)."""
        logw = self.weigh(texts)[0]
        return logw[:, 0] if logw.shape[1] == 1 else logw

    def select(self, texts, k: int, random_state=None, noise: bool = True) -> np.ndarray:
        """Select ``k`` documents of ``texts`` by importance resampling (Sec. 3, "Resampling").

        Parameters
        ----------
        texts : list of str
        k : int
            How many documents to select, among those of at least ``min_length`` tokens.
        random_state : int, RandomState or None
            The Gumbel noise's generator (``None``: NumPy's global one, as the official package).
        noise : bool, default True
            ``False`` selects the ``k`` largest weights (the "top-k" baseline).

        Returns
        -------
        ndarray of shape (k,)
            The selected documents' indices, sorted.
        """
        logw, lengths = self.weigh(texts)
        return self.select_from_weights(logw, lengths, k, random_state, noise)

    def select_from_weights(self, log_weights, lengths, k: int, random_state=None, noise: bool = True):
        """:meth:`select` on log-weights and lengths already computed by :meth:`weigh`.

        With several targets each gets ``k`` times its :attr:`target_proportions_`, resampled in turn without
        choosing a document twice (:func:`~fscore.training_data.resampling.gumbel_top_k_per_target`).
        """
        log_weights = np.asarray(log_weights, dtype=np.float64).reshape(len(lengths), -1)
        valid = np.asarray(lengths) >= self.min_length
        if log_weights.shape[1] == 1:
            return gumbel_top_k(as_chunks(log_weights[:, 0], valid), k, random_state, noise)
        return gumbel_top_k_per_target(lambda: [(log_weights, valid, 0)], k, self.target_proportions_,
                                       random_state, noise)
