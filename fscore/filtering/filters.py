"""Filters of image-caption pairs: a score for every pair and one selection rule, keep the top fraction.

* **No filter** keeps the whole pool; **random** keeps a random fraction.
* The **basic text filter** keeps captions of more than two words and more than five characters (DataComp's
  basic filtering, Gadre et al. 2023, Sec. 4 and ``baselines/apply_filter.py`` of the authors' repository, whose
  English detection we replace by a list of boilerplate captions).
* **CLIP-score filtering** keeps the pairs whose image and caption embeddings are most similar under a trained
  contrastive model, ``s(x, c) = <f(x), g(c)>`` with unit vectors (DataComp, Sec. 4: top 30% by OpenAI CLIP score).
* A **data filtering network** (DFN; Fang et al., ICLR 2024) is the same score from a contrastive model trained
  only on a small, clean, high-quality set: what changes is the filter's training data, not the rule.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from fscore.filtering.pool import BOILERPLATE
from fscore.nn.contrastive import CaptionTokenizer, TwoTower, embed_images, embed_texts


def check_fraction(fraction) -> float:
    """A kept fraction must be a number in (0, 1]."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating, np.integer)):
        raise TypeError(f"the kept fraction must be a number in (0, 1], got {fraction!r}")
    if not 0 < fraction <= 1:
        raise ValueError(f"the kept fraction must be in (0, 1], got {fraction!r}: keep at least some of the pool "
                         f"and at most all of it")
    return float(fraction)


def keep_top_fraction(scores, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """The selection rule: indices of the ``ceil(fraction * n)`` highest scores, ties broken at random.

    Parameters
    ----------
    scores : array-like of shape (n,)
        One finite score a pair; higher is better.
    fraction : float in (0, 1]
        Share of the pool to keep.
    rng : numpy Generator
        Breaks ties (a pass/fail filter's scores are all ties), so a seed fixes the selection.

    Returns
    -------
    ndarray of int
        Sorted indices of the kept pairs.
    """
    fraction = check_fraction(fraction)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"scores must be a non-empty 1-D array, got shape {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    k = math.ceil(fraction * len(scores) - 1e-9)
    order = np.lexsort((rng.random(len(scores)), -scores))  # by score descending, then a random tie-break
    return np.sort(order[:k])


@torch.no_grad()
def clip_score(model: TwoTower, images: torch.Tensor, tokens: torch.Tensor, batch_size: int = 2048) -> np.ndarray:
    """The CLIP score of every pair: the cosine similarity of its image and caption embeddings.

    ``images`` is ``(n, C, S, S)`` and ``tokens`` ``(n, L)`` (:class:`~fscore.nn.contrastive.CaptionTokenizer`),
    pair ``i`` in row ``i`` of both; a DFN's score is the same function of a model trained on clean data.
    """
    if len(images) != len(tokens):
        raise ValueError(f"{len(images)} images but {len(tokens)} captions: scores need one caption an image")
    u, v = embed_images(model, images, batch_size), embed_texts(model, tokens, batch_size)
    return (u * v).sum(dim=1).cpu().numpy()


def text_filter_scores(captions, min_words: int = 3, min_chars: int = 6, boilerplate=BOILERPLATE) -> np.ndarray:
    """The basic text filter as a 0/1 score: 1 for a caption of at least ``min_words`` words and ``min_chars``
    characters that is not a boilerplate caption or a camera file name."""
    scores = np.zeros(len(captions))
    generic = {b.lower() for b in boilerplate}
    for i, caption in enumerate(captions):
        text = caption.strip().lower()
        words = CaptionTokenizer.words(text)
        file_name = text.startswith(("img_", "dsc")) and text.endswith((".jpg", ".png", ".jpeg"))
        scores[i] = float(len(words) >= min_words and len(text) >= min_chars and text not in generic
                          and not file_name)
    return scores


def random_scores(n: int, rng: np.random.Generator) -> np.ndarray:
    """Scores of the random filter: uniform noise, so the top fraction is a uniform random subset."""
    return rng.random(n)


def dfn_training_indices(n_clean: int, n_pool: int, pool_share: float, rng: np.random.Generator):
    """The training set of a DFN with a share of pool data mixed in, at a fixed size of ``n_clean`` pairs.

    Returns ``(clean_index, pool_index)``: ``round(pool_share * n_clean)`` random pool pairs replace as many
    random pairs of the clean set, so the filter's training budget stays the same and only its quality changes.
    """
    if not 0 <= pool_share <= 1:
        raise ValueError(f"pool_share must be in [0, 1], got {pool_share!r}")
    n_mixed = int(round(pool_share * n_clean))
    if n_mixed > n_pool:
        raise ValueError(f"{n_mixed} pool pairs are asked for but the pool has {n_pool}")
    clean_index = np.sort(rng.choice(n_clean, size=n_clean - n_mixed, replace=False))
    pool_index = np.sort(rng.choice(n_pool, size=n_mixed, replace=False))
    return clean_index, pool_index
