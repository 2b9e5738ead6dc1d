"""Selection rules on per-document scores: Gumbel top-k resampling, plain top-k, uniform random.

Importance resampling draws ``k`` documents *without replacement* with probabilities proportional
to their importance weights ``w_i``. Xie et al. (NeurIPS 2023, Sec. 3, "Resampling") do it with the
Gumbel top-k trick: add independent standard Gumbel noise to ``log w_i`` and keep the ``k`` largest
(Kool, van Hoof & Welling, ICML 2019, prove this samples without replacement from the weights).

Every rule here consumes its scores in chunks (``(scores, valid, offset)`` triples) so that a pool
larger than memory is resampled from weights on disk; in memory it is one chunk. The noise is drawn
chunk after chunk from one ``RandomState`` over the valid documents in order, which is exactly what
the official package draws over its concatenated weights after ``np.random.seed(seed)``
(``DSIR.resample`` in ``data_selection/base.py``: ``np.random.gumbel(size=...)`` on the filtered
weights, then the ``k`` largest). ``random_state=None`` uses NumPy's global generator, as it does.
Ties between equal keys go to the earlier document, so every result is deterministic.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from fscore.validation import check_k


def _largest(keys: np.ndarray, index: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``keys``, ties broken by smaller ``index``."""
    if len(keys) <= k:
        return np.arange(len(keys))
    cut = keys[np.argpartition(-keys, k - 1)[:k]].min()
    candidates = np.flatnonzero(keys >= cut)
    return candidates[np.lexsort((index[candidates], -keys[candidates]))[:k]]


class RunningTopK:
    """The ``k`` largest keys seen so far over a stream of chunks, with their global indices."""

    def __init__(self, k: int):
        self.k = k
        self.keys = np.zeros(0)
        self.index = np.zeros(0, dtype=np.int64)
        self.seen = 0

    def push(self, keys: np.ndarray, index: np.ndarray) -> None:
        self.seen += len(keys)
        keys, index = np.concatenate([self.keys, keys]), np.concatenate([self.index, index])
        keep = _largest(keys, index, self.k)
        self.keys, self.index = keys[keep], index[keep]

    def result(self, what: str = "documents that pass the length filter") -> np.ndarray:
        check_k(self.k, self.seen, what=what)
        return np.sort(self.index)


def as_chunks(scores, valid=None):
    """One in-memory chunk in the form the resamplers consume."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"scores must be a non-empty 1-D array, got shape {scores.shape}")
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or infinite values")
    valid = np.ones(len(scores), dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    if valid.shape != scores.shape:
        raise ValueError(f"valid has shape {valid.shape}, scores {scores.shape}")
    return [(scores, valid, 0)]


def gumbel_top_k(chunks, k: int, random_state=None, noise: bool = True) -> np.ndarray:
    """Draw ``k`` documents without replacement, with probabilities proportional to ``exp(score)``.

    The Gumbel top-k trick: keep the ``k`` largest ``log w_i + G_i``, ``G_i`` standard Gumbel noise
    (Kool, van Hoof & Welling, ICML 2019; Xie et al., NeurIPS 2023, Sec. 3, "Resampling").

    Parameters
    ----------
    chunks : iterable of (log_weights, valid, offset)
        The scores in pieces, with a mask of the documents that may be chosen and the index of each piece's
        first document; :func:`as_chunks` makes one piece from arrays.
    k : int
    random_state : int, RandomState or None
    noise : bool, default True
        ``False``: deterministic top-k on the scores (the "top-k" baseline).

    Returns
    -------
    ndarray of shape (k,)
        The chosen documents' indices, sorted.
    """
    rng = check_random_state(random_state)
    top = RunningTopK(check_k(k, what="documents"))
    for scores, valid, offset in chunks:
        where = np.flatnonzero(valid)
        keys = np.asarray(scores, dtype=np.float64)[where]
        if noise:
            keys = keys + rng.gumbel(size=len(where))
        top.push(keys, where + offset)
    return top.result()


def per_target_sizes(k: int, proportions) -> list[int]:
    """How many of ``k`` each target gets: ``int(k p_t)``, the remainder to the last (as the official package)."""
    sizes = [int(k * p) for p in proportions]
    sizes[-1] += k - sum(sizes)
    return sizes


def gumbel_top_k_per_target(chunk_source, k: int, proportions, random_state=None, noise: bool = True):
    """Resample for several targets in turn, ``k p_t`` documents each, never choosing a document twice.

    ``chunk_source()`` returns a fresh iterable of ``(log_weights (n, T), valid, offset)`` chunks. This is
    the official package's ``separate_targets=True`` (one DSIR per target, then the union).
    """
    rng = check_random_state(random_state)
    chosen = np.zeros(0, dtype=np.int64)
    for t, size in enumerate(per_target_sizes(check_k(k, what="documents"), proportions)):
        if size == 0:
            continue
        chunks = ((scores[:, t], valid & ~np.isin(np.arange(offset, offset + len(valid)), chosen), offset)
                  for scores, valid, offset in chunk_source())
        chosen = np.union1d(chosen, gumbel_top_k(chunks, size, rng, noise))
    return chosen


def random_subset(valid, k: int, random_state=None) -> np.ndarray:
    """Sorted indices of ``k`` documents drawn uniformly without replacement among the ``valid`` ones."""
    where = np.flatnonzero(np.asarray(valid, dtype=bool))
    k = check_k(k, len(where), what="documents that pass the length filter")
    return np.sort(check_random_state(random_state).choice(where, k, replace=False))
