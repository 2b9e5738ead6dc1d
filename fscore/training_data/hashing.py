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
    The same tokens, found and hashed without a Python object per token: a batch of documents is one
    byte buffer, each byte is classed (word, other, space) by a table built from the very pattern above,
    tokens are the maximal runs of one class (what the pattern's ``findall`` returns, for ASCII text), and
    each token's hash is a polynomial in its bytes modulo 2^64, read off prefix sums of the buffer; the
    n-grams' buckets are mixed from their tokens' hashes with integer arithmetic. All in NumPy, a few passes
    over the bytes. A document with non-ASCII characters is tokenised by the pattern and its tokens hashed
    the same way, so a token has one hash whichever path it took. No n-gram strings, no cryptographic hash:
    different buckets, same kind of features.
"""
from __future__ import annotations

import hashlib
import re
from itertools import chain

import numpy as np
import scipy.sparse as sp

from fscore.validation import check_documents

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]+")  # nltk.tokenize.WordPunctTokenizer's pattern
MODES = ("parity", "fast")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_BASE = 0x100000001B3  # the polynomial hash's base (FNV's 64-bit prime): odd, so invertible modulo 2^64
_SUB_BATCH = 256  # documents per byte buffer in fast mode (the prefix sums' memory: 16 bytes a byte)


def _byte_classes(space_only: bool) -> np.ndarray:
    """Class of every byte: 0 space, 1 word, 2 other; from ``TOKEN_PATTERN``'s own ``\\w`` and ``\\s``.

    ``space_only``: every non-space byte is one class (for tokens already split and joined by spaces).
    """
    table = np.ones(256, dtype=np.uint8)
    for byte in range(128):
        char = chr(byte)
        table[byte] = 0 if re.fullmatch(r"\s", char) else 1 if space_only or re.fullmatch(r"\w", char) else 2
    return table


_ASCII_CLASSES, _SPACE_CLASSES = _byte_classes(False), _byte_classes(True)


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
    cache_size : int, how many distinct n-grams parity mode remembers before forgetting (fast mode needs no cache).
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
        return _Cache(lambda ngram: sha256_bucket(ngram, self.num_buckets), self.cache_size)

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
        if self.mode == "parity":
            return self._parity_rows([tokenize(text) for text in texts])
        parts = [self._fast_rows(texts[start:start + _SUB_BATCH], start)
                 for start in range(0, len(texts), _SUB_BATCH)]
        return _concat([p[0] for p in parts]), _concat([p[1] for p in parts])

    def _parity_rows(self, tokens):
        cache, rows, cols = self._cache, [], []
        for i, words in enumerate(tokens):
            grams = chain(words, *(map(" ".join, zip(*(words[j:] for j in range(order))))
                                   for order in range(2, self.ngrams + 1)))
            found = np.fromiter(map(cache.__getitem__, grams), dtype=np.int64)
            cols.append(found)
            rows.append(np.full(len(found), i, dtype=np.int64))
        return _concat(rows), _concat(cols)

    def _token_hashes(self, buffer: bytes, table: np.ndarray, doc_starts: np.ndarray):
        """Each token of ``buffer`` (maximal runs of one non-zero byte class): its document and 64-bit hash.

        The hash of bytes ``c_s .. c_{e-1}`` is ``sum_j c_j base^(e-1-j)`` modulo 2^64, mixed with the length:
        ``base^(e-1) (S_e - S_s)`` with ``S`` the prefix sums of ``c_j base^-j``.
        """
        codes = np.frombuffer(buffer, dtype=np.uint8)
        classes = table[codes]
        edge = np.ones(len(codes) + 1, dtype=bool)
        edge[1:-1] = classes[1:] != classes[:-1]
        inside = classes != 0
        starts = np.flatnonzero(edge[:-1] & inside)
        ends = np.flatnonzero(edge[1:] & inside) + 1
        up, down = _power_tables(len(codes) + 1)
        prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
        np.cumsum(codes * down[:len(codes)], out=prefix[1:])
        hashes = (prefix[ends] - prefix[starts]) * up[ends - 1] + (ends - starts).astype(np.uint64) * _GOLDEN
        return np.searchsorted(doc_starts, starts, side="right") - 1, _mix64(hashes)

    def _fast_rows(self, texts, first: int = 0):
        docs, hashes = [], []
        for group, table, encode in (("ascii", _ASCII_CLASSES, str.lower), ("other", _SPACE_CLASSES,
                                                                           lambda text: " ".join(tokenize(text)))):
            members = [i for i, text in enumerate(texts) if _is_str(text).isascii() == (group == "ascii")]
            if not members:
                continue
            pieces = [encode(texts[i]).encode("utf-8") for i in members]
            starts = np.cumsum([0] + [len(p) + 1 for p in pieces[:-1]])
            doc, found = self._token_hashes(b"\n".join(pieces), table, starts)
            docs.append(np.asarray(members, dtype=np.int64)[doc])
            hashes.append(found)
        if len(docs) == 2:  # back in the documents' order, each document's tokens in theirs
            order = np.argsort(np.concatenate(docs), kind="stable")
            doc, hashes = np.concatenate(docs)[order], np.concatenate(hashes)[order]
        else:
            doc, hashes = (docs[0], hashes[0]) if docs else (np.zeros(0, np.int64), np.zeros(0, np.uint64))
        rows, cols = [doc + first], [_mix64(hashes)]
        combined = hashes
        for order in range(2, self.ngrams + 1):  # extend each (order-1)-gram by the next token
            keep = doc[order - 1:] == doc[:len(doc) - order + 1]
            combined = _mix64(combined[:-1] * _GOLDEN + hashes[order - 1:] + np.uint64(order))
            rows.append(doc[order - 1:][keep] + first)
            cols.append(combined[keep])
        num = np.uint64(self.num_buckets)
        return _concat(rows), (_concat(cols, np.uint64) % num).astype(np.int64)


_powers = (np.ones(0, dtype=np.uint64), np.ones(0, dtype=np.uint64))


def _power_tables(n: int):
    """``base^i`` and ``base^-i`` modulo 2^64 for ``i < n``: one pair per process, grown on demand, shared by
    every featuriser (a worker unpickles a fresh featuriser per task: tables of its own made the heap grow)."""
    global _powers
    pair = _powers  # replaced whole, never changed in place: safe to read from several threads
    if len(pair[0]) < n:
        size = max(n, 2 * len(pair[0]))
        tables = []
        for base in (_BASE, pow(_BASE, -1, 1 << 64)):
            steps = np.full(size, base, dtype=np.uint64)
            steps[0] = 1
            tables.append(np.cumprod(steps, dtype=np.uint64))  # wraps modulo 2^64, as wanted
        pair = _powers = tuple(tables)
    return pair


def _is_str(text):
    if not isinstance(text, str):
        raise TypeError(f"a document must be a string, got {type(text).__name__}")
    return text


def _concat(parts, dtype=np.int64):
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
