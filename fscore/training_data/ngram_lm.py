"""A small language model to measure what a selection is worth downstream: an interpolated bigram model.

Trained on the selected documents, it is scored by its cross-entropy on held-out target text (nats
per token): a selection closer to the target should model target text better. Absolute discounting
with interpolation (Ney, Essen & Kneser, 1994):

    P(w | v) = max(c(v, w) - D, 0) / c(v) + D N1+(v .) / c(v) * P1(w),   P1(w) = (c(w) + 1) / (N + V - 1),

over a fixed vocabulary of ``V`` ids (so that models trained on different selections are comparable),
with a start-of-document token before each document that is conditioned on but never predicted.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from fscore.training_data.hashing import tokenize
from fscore.validation import check_documents

BOS = "<s>"


def build_vocabulary(texts) -> dict[str, int]:
    """Token ids over every token of ``texts`` (id 0 is the start-of-document token)."""
    vocabulary = {BOS: 0}
    for text in check_documents(texts):
        for token in tokenize(text):
            vocabulary.setdefault(token, len(vocabulary))
    return vocabulary


class BigramLM(BaseEstimator):
    """Interpolated absolute-discounting bigram model over a fixed ``vocabulary`` (the module's formula).

    Parameters
    ----------
    vocabulary : dict of str to int
        Token ids from :func:`build_vocabulary` over every text the model will see, so that models trained on
        different selections are comparable.
    discount : float, default 0.75
        ``D``, subtracted from every seen bigram's count and given to the unigram back-off.

    Attributes
    ----------
    pair_keys_, pair_counts_ : ndarray
        The distinct bigrams seen (as ``previous * V + current``) and their counts.
    context_counts_, followers_ : ndarray of shape (V,)
        ``c(v)``, the count of each token as a context, and ``N1+(v .)``, its number of distinct followers.
    unigram_ : ndarray of shape (V,)
        ``P1``, the add-one unigram distribution (0 for the start token).

    References
    ----------
    Ney, Essen & Kneser, "On structuring probabilistic dependences in stochastic language modelling",
    Computer Speech and Language 8 (1994).
    """

    def __init__(self, vocabulary: dict, discount: float = 0.75):
        self.vocabulary = vocabulary
        self.discount = discount

    def _pairs(self, texts):
        ids = []
        for text in texts:
            ids.append(0)
            try:
                ids.extend(self.vocabulary[t] for t in tokenize(text))
            except KeyError as error:
                raise ValueError(f"token {error} is not in the vocabulary: build it over every text") from None
        ids = np.asarray(ids, dtype=np.int64)
        keep = ids[1:] != 0  # no pair ends at a start token
        return ids[:-1][keep], ids[1:][keep]

    def fit(self, texts):
        """Count the bigrams of ``texts`` (an iterable of documents)."""
        texts = list(check_documents(texts))
        if not texts:
            raise ValueError("no documents to train the language model on")
        V = len(self.vocabulary)
        prev, cur = self._pairs(texts)
        self.pair_keys_, self.pair_counts_ = np.unique(prev * V + cur, return_counts=True)
        self.context_counts_ = np.bincount(prev, minlength=V)
        self.followers_ = np.bincount(self.pair_keys_ // V, minlength=V)
        self.unigram_ = (np.bincount(cur, minlength=V) + 1.0) / (len(cur) + V - 1)
        self.unigram_[0] = 0.0  # the start token is never predicted
        return self

    def cross_entropy(self, texts) -> float:
        """Mean negative log-likelihood per token of ``texts`` (nats)."""
        check_is_fitted(self, "pair_keys_")
        V = len(self.vocabulary)
        prev, cur = self._pairs(list(check_documents(texts)))
        keys = prev * V + cur
        at = np.minimum(np.searchsorted(self.pair_keys_, keys), len(self.pair_keys_) - 1)
        pair = np.where(self.pair_keys_[at] == keys, self.pair_counts_[at], 0)
        context = self.context_counts_[prev]
        seen = context > 0
        safe = np.maximum(context, 1)
        backoff = np.where(seen, self.discount * self.followers_[prev] / safe, 1.0)
        prob = np.where(seen, np.maximum(pair - self.discount, 0) / safe, 0.0) + backoff * self.unigram_[cur]
        return float(-np.mean(np.log(prob)))
