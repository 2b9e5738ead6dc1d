"""Hashed n-gram features of text, the feature space DSIR estimates importance weights in.

Xie et al. (NeurIPS 2023), Sec. 3.1 ("hashed n-gram features"): a document is lowercased, split into
word-punctuation tokens, and its unigrams and bigrams are hashed into ``num_buckets`` buckets
(10,000 in the paper); the feature vector ``h(x)`` counts the n-grams that fall in each bucket.

Two modes:

``parity``
    The buckets of the official package (``data-selection`` 1.0.3, ``hashed_ngram_dsir.py``):
    NLTK's ``WordPunctTokenizer`` pattern ``\\w+|[^\\w\\s]+`` on the lowercased text, n-grams of
    order ``2..n`` joined with a single space, and bucket ``int(sha256(ngram).hexdigest(), 16) %
    num_buckets``. Computed here as ``int.from_bytes(sha256(...).digest())``, the same number, and
    each distinct n-gram is hashed once and remembered (a bounded cache), which the official code
    does not do.
``fast``
    The same tokens, but each token is hashed once with CRC-32 (cached) and the n-grams' buckets are
    mixed from their tokens' hashes with integer arithmetic in NumPy, for a whole batch of documents
    at a time: no n-gram strings and no cryptographic hash. Different buckets, same kind of features.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from itertools import chain

import numpy as np
import scipy.sparse as sp

from fscore.validation import check_documents

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]+")  # nltk.tokenize.WordPunctTokenizer's pattern
MODES = ("parity", "fast")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def tokenize(text: str) -> list[str]:
    """Lowercased word-punctuation tokens, as NLTK's ``WordPunctTokenizer().tokenize(text.lower())``."""
    if not isinstance(text, str):
        raise TypeError(f"a document must be a string, got {type(text).__name__}")
    return TOKEN_PATTERN.findall(text.lower())


def sha256_bucket(ngram: str, num_buckets: int) -> int:
    """The official package's bucket of an n-gram string: its SHA-256 as a big-endian integer, modulo."""
    return int.from_bytes(hashlib.sha256(ngram.encode("utf-8")).digest(), "big") % num_buckets


class _Cache(dict):
    """A dictionary that computes a missing value with ``function`` (and is cleared when too large)."""

    def __init__(self, function, limit: int):
        super().__init__()
        self.function, self.limit = function, limit

    def __missing__(self, key):
        value = self[key] = self.function(key)
        return value

    def trim(self):
        if len(self) > self.limit:
            self.clear()


def _mix64(values: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (splitmix64's) that spreads combined hashes over all bits."""
    values = values ^ (values >> np.uint64(31))
    values = values * _MIX
    return values ^ (values >> np.uint64(29))


class HashedNgrams:
    """Featuriser: documents to a sparse ``(n_documents, num_buckets)`` matrix of hashed n-gram counts.

    Parameters
    ----------
    num_buckets : int, default 10000 (the paper's and the official package's)
    ngrams : int, default 2 (unigrams and bigrams)
    mode : ``"parity"`` (the official buckets) or ``"fast"`` (see the module docstring)
    cache_size : int, how many distinct n-grams (parity) or tokens (fast) to remember before forgetting.
    """

    def __init__(self, num_buckets: int = 10000, ngrams: int = 2, mode: str = "parity", cache_size: int = 2_000_000):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if isinstance(num_buckets, bool) or not isinstance(num_buckets, (int, np.integer)) or num_buckets < 1:
            raise ValueError(f"num_buckets must be a positive integer, got {num_buckets!r}")
        if isinstance(ngrams, bool) or not isinstance(ngrams, (int, np.integer)) or ngrams < 1:
            raise ValueError(f"ngrams must be a positive integer, got {ngrams!r}")
        self.num_buckets, self.ngrams, self.mode, self.cache_size = int(num_buckets), int(ngrams), mode, cache_size
        self._cache = self._new_cache()

    def _new_cache(self):
        if self.mode == "parity":
            return _Cache(lambda ngram: sha256_bucket(ngram, self.num_buckets), self.cache_size)
        return _Cache(lambda token: zlib.crc32(token.encode("utf-8")), self.cache_size)

    def __getstate__(self):  # pickled to worker processes without the cache
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cache = self._new_cache()

    def buckets(self, text: str) -> np.ndarray:
        """The bucket of every n-gram of ``text``: unigrams first, then bigrams, ... (as counted)."""
        return self._rows([text])[1]

    def pairs(self, texts):
        """``(document, bucket)`` of every n-gram of ``texts``, as two int64 arrays (the sparse form of ``h``)."""
        rows, cols = self._rows(list(check_documents(texts)))
        self._cache.trim()
        return rows, cols

    def transform(self, texts) -> sp.csr_matrix:
        """Count matrix ``h(x)`` of every document, shape ``(len(texts), num_buckets)``, int64."""
        texts = list(check_documents(texts))
        rows, cols = self.pairs(texts)
        data = np.ones(len(cols), dtype=np.int64)
        matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(texts), self.num_buckets), dtype=np.int64)
        matrix.sum_duplicates()
        return matrix

    def lengths(self, n_grams) -> np.ndarray:
        """Document lengths in tokens from their numbers of n-grams, as the official package derives them.

        With n-grams up to order ``n`` a document of ``T >= n - 1`` tokens has ``nT - n(n-1)/2``
        n-grams, so ``T = (count + n(n-1)/2) // n`` (``get_perexample_metadata`` in the official code).
        ``n_grams`` is the count per document, e.g. ``np.bincount(rows)`` or ``counts.sum(axis=1)``.
        """
        n = self.ngrams
        return (np.asarray(n_grams, dtype=np.int64).ravel() + n * (n - 1) // 2) // n

    def _rows(self, texts):
        tokens = [tokenize(text) for text in texts]
        if self.mode == "parity":
            return self._parity_rows(tokens)
        return self._fast_rows(tokens)

    def _parity_rows(self, tokens):
        cache, rows, cols = self._cache, [], []
        for i, words in enumerate(tokens):
            grams = chain(words, *(map(" ".join, zip(*(words[j:] for j in range(order))))
                                   for order in range(2, self.ngrams + 1)))
            found = np.fromiter(map(cache.__getitem__, grams), dtype=np.int64)
            cols.append(found)
            rows.append(np.full(len(found), i, dtype=np.int64))
        return _concat(rows), _concat(cols)

    def _fast_rows(self, tokens):
        sizes = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        hashes = np.fromiter(map(self._cache.__getitem__, chain.from_iterable(tokens)), dtype=np.uint64,
                             count=int(sizes.sum()))
        doc = np.repeat(np.arange(len(tokens), dtype=np.int64), sizes)
        rows, cols = [doc], [_mix64(hashes)]
        combined = hashes
        for order in range(2, self.ngrams + 1):  # extend each (order-1)-gram by the next token
            keep = doc[order - 1:] == doc[:len(doc) - order + 1]
            combined = _mix64(combined[:-1] * _GOLDEN + hashes[order - 1:] + np.uint64(order))
            rows.append(doc[order - 1:][keep])
            cols.append(combined[keep])
        num = np.uint64(self.num_buckets)
        return _concat(rows), (_concat(cols, np.uint64) % num).astype(np.int64)


def _concat(parts, dtype=np.int64):
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
