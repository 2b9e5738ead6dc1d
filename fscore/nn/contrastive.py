"""A small two-tower contrastive image-text model trained with the CLIP loss (Radford et al., ICML 2021).

An image tower (:class:`fscore.nn.SmallCNN` and a linear projection) and a caption tower (a bag of word embeddings
and a linear projection) map an image and a caption into one ``dim``-dimensional space, both L2-normalised. For a
batch of ``B`` pairs, the cosine similarities ``s_ij = <u_i, v_j>`` of image ``i`` and caption ``j`` scaled by a
learned inverse temperature ``exp(t)`` are the logits of two classifications: each image picks its own caption
among the batch's captions, and each caption its own image (the symmetric InfoNCE loss, the pseudo-code of
Figure 3 of the CLIP paper)::

    L = 1/2 [ CE(exp(t) S, I) + CE(exp(t) S^T, I) ],   S = U V^T.

As in CLIP, ``t`` starts at ``log(1 / 0.07)`` and the scale ``exp(t)`` is clipped at 100. Parts use it for CLIP-score
filtering and data filtering networks (Part III), and for any image-caption embedding they need.
"""
from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from fscore.nn.cnn import SmallCNN
from fscore.nn.training import check_training
from fscore.progress import progress

TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
PAD, UNKNOWN = 0, 1
MAX_LOGIT_SCALE = 100.0


class CaptionTokenizer:
    """Lower-case word tokens to integer ids, padded to ``max_tokens``: the caption tower's input.

    Id 0 is padding (ignored by the bag of embeddings) and id 1 stands for a word outside the vocabulary. An empty
    caption is all padding: its embedding is the tower's bias alone, the same for every empty caption.

    Parameters
    ----------
    max_tokens : int
        Tokens kept a caption (the first ones).
    """

    def __init__(self, max_tokens: int = 16):
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) or max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        self.max_tokens = int(max_tokens)
        self.vocabulary_: dict[str, int] | None = None

    @staticmethod
    def words(caption: str) -> list[str]:
        if not isinstance(caption, str):
            raise TypeError(f"a caption must be a string, got {type(caption).__name__}: {caption!r}")
        return TOKEN_PATTERN.findall(caption.lower())

    def fit(self, captions) -> "CaptionTokenizer":
        """Learn the vocabulary: every word of ``captions``, most frequent first (ties alphabetical)."""
        counts = Counter(w for c in _caption_list(captions) for w in self.words(c))
        ordered = sorted(counts, key=lambda w: (-counts[w], w))
        self.vocabulary_ = {w: i + 2 for i, w in enumerate(ordered)}
        return self

    @property
    def vocab_size(self) -> int:
        self._check_fitted()
        return len(self.vocabulary_) + 2

    def _check_fitted(self):
        if self.vocabulary_ is None:
            raise RuntimeError("this CaptionTokenizer is not fitted yet: call fit(captions) first")

    def transform(self, captions) -> torch.Tensor:
        """``(n, max_tokens)`` int64 ids."""
        self._check_fitted()
        captions = _caption_list(captions)
        ids = np.zeros((len(captions), self.max_tokens), dtype=np.int64)
        for row, caption in enumerate(captions):
            tokens = [self.vocabulary_.get(w, UNKNOWN) for w in self.words(caption)[:self.max_tokens]]
            ids[row, :len(tokens)] = tokens
        return torch.from_numpy(ids)


def _caption_list(captions) -> list[str]:
    if isinstance(captions, (str, bytes)):
        raise ValueError("captions must be a sequence of strings, got a single string: wrap it in a list")
    return list(captions)


class BagOfTokens(nn.Module):
    """The caption tower's body: the mean of a caption's word embeddings (padding ignored), then a ReLU layer."""

    def __init__(self, vocab_size: int, width: int):
        super().__init__()
        if vocab_size < 3 or width < 1:
            raise ValueError(f"need a vocabulary of at least one word and a positive width, got {vocab_size}, {width}")
        self.embedding = nn.EmbeddingBag(vocab_size, width, mode="mean", padding_idx=PAD)
        self.hidden = nn.Linear(width, width)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.relu(self.hidden(self.embedding(tokens)))


class TwoTower(nn.Module):
    """Image and caption encoders into one normalised space, with CLIP's learned temperature.

    Parameters
    ----------
    vocab_size : int
        Size of the caption vocabulary (:attr:`CaptionTokenizer.vocab_size`).
    image_size, in_channels : int
        Square images of this side and channel count (``(B, in_channels, image_size, image_size)``).
    widths : tuple of int
        The two convolutional widths of the image tower's :class:`~fscore.nn.SmallCNN`.
    width : int
        Width of each tower's body (the CNN's embedding and the bag of tokens).
    dim : int
        Dimension of the shared embedding space.
    temperature : float
        Initial temperature (0.07 in CLIP); its log-inverse is learned.
    """

    def __init__(self, vocab_size: int, image_size: int = 28, in_channels: int = 1, widths=(16, 32),
                 width: int = 64, dim: int = 32, temperature: float = 0.07):
        super().__init__()
        if dim < 1 or not 0 < temperature <= 1:
            raise ValueError(f"need a positive dim and a temperature in (0, 1], got {dim}, {temperature}")
        self.image_tower = SmallCNN(in_channels, image_size, widths, embed_dim=width)
        self.image_projection = nn.Linear(width, dim)
        self.text_tower = BagOfTokens(vocab_size, width)
        self.text_projection = nn.Linear(width, dim)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))

    @property
    def scale(self) -> torch.Tensor:
        """The inverse temperature ``exp(t)``, clipped at 100 as in CLIP."""
        return self.log_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, dim)`` unit vectors of a batch of images."""
        return F.normalize(self.image_projection(self.image_tower.embed(images)), dim=-1)

    def encode_texts(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, dim)`` unit vectors of a batch of tokenised captions."""
        return F.normalize(self.text_projection(self.text_tower(tokens)), dim=-1)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor):
        return self.encode_images(images), self.encode_texts(tokens)


def clip_loss(image_embeddings: torch.Tensor, text_embeddings: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The symmetric InfoNCE loss of CLIP: pair ``i`` of the batch is the right answer for row and column ``i``.

    Parameters
    ----------
    image_embeddings, text_embeddings : Tensor of shape (B, dim)
        Unit vectors of the batch's images and captions, pair ``i`` in row ``i`` of both.
    scale : Tensor
        The inverse temperature ``exp(t)``.
    """
    if image_embeddings.shape != text_embeddings.shape:
        raise ValueError(f"image and text embeddings differ in shape: {tuple(image_embeddings.shape)} vs "
                         f"{tuple(text_embeddings.shape)}")
    logits = scale * image_embeddings @ text_embeddings.T
    targets = torch.arange(len(logits), device=logits.device)
    return 0.5 * (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets))


def train_clip(model: TwoTower, images: torch.Tensor, tokens: torch.Tensor, *, steps: int, batch_size: int,
               lr: float = 2e-3, weight_decay: float = 1e-4, seed: int = 0, desc: str | None = None) -> list[float]:
    """Train ``model`` with the CLIP loss for exactly ``steps`` AdamW steps: a fixed compute budget.

    Batches are drawn without replacement from a seeded permutation of the pairs, a new one each epoch, however
    many epochs ``steps`` spans (a small training set is seen more often, as in DataComp's fixed budget). The
    learned temperature has no weight decay. Returns each step's loss; leaves the model in ``eval`` mode.
    """
    check_training(steps, batch_size, lr)
    n = images.shape[0]
    if n != tokens.shape[0]:
        raise ValueError(f"{n} images but {tokens.shape[0]} captions: the pairs do not match")
    if n < 2:
        raise ValueError(f"contrastive training needs at least 2 pairs, got {n}")
    batch_size = min(int(batch_size), n)
    decay = [p for name, p in model.named_parameters() if name != "log_scale"]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                                   {"params": [model.log_scale], "weight_decay": 0.0}], lr=lr)
    generator = torch.Generator().manual_seed(int(seed))
    batches_per_epoch = n // batch_size  # full batches only: every step contrasts batch_size pairs
    order, history = None, []
    model.train()
    for step in progress(range(steps), desc=desc) if desc else range(steps):
        if step % batches_per_epoch == 0:
            order = torch.randperm(n, generator=generator).to(images.device)
        idx = order[(step % batches_per_epoch) * batch_size:][:batch_size]
        loss = clip_loss(*model(images[idx], tokens[idx]), model.scale)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        history.append(float(loss.detach()))
    model.eval()
    return history


@torch.no_grad()
def embed_images(model: TwoTower, images: torch.Tensor, batch_size: int = 2048) -> torch.Tensor:
    """Unit embeddings of ``(n, C, S, S)`` images, computed in batches without a graph."""
    model.eval()
    return torch.cat([model.encode_images(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


@torch.no_grad()
def embed_texts(model: TwoTower, tokens: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    """Unit embeddings of ``(n, L)`` tokenised captions, computed in batches without a graph."""
    model.eval()
    return torch.cat([model.encode_texts(tokens[i:i + batch_size]) for i in range(0, len(tokens), batch_size)])
