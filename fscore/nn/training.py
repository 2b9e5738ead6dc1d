"""The training loop shared by the book's chapters: mini-batch Adam on the copies of a model.

The loss is the sum of the copies' mean cross-entropies; since Adam's update is elementwise, each copy
follows exactly the updates it would get alone.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from fscore.progress import progress


def check_training(epochs, batch_size, lr) -> None:
    """Clear errors for a training budget that cannot run."""
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")



def n_steps(n_samples: int, batch_size: int, epochs: int) -> int:
    """Optimiser steps that :func:`train` takes: ``epochs * ceil(n / batch_size)``."""
    return epochs * math.ceil(n_samples / batch_size)



def ensemble_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Sum over the copies of each copy's mean cross-entropy (so each copy's gradient is its own)."""
    M, B, C = logits.shape
    return nn.functional.cross_entropy(logits.reshape(M * B, C), y.repeat(M), reduction="sum") / B



def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
          seed: int = 0, penalty=None, callback=None, desc: str | None = None, param_groups=None) -> nn.Module:
    """Mini-batch Adam on the cross-entropy of ``model(X)`` (``(M, B, C)`` logits) against labels ``y``.

    ``X`` is ``(n, d)``, or ``(M, n, d)`` when each copy has its own inputs. ``seed`` fixes the batch
    order. ``penalty()`` is added to every step's loss. ``callback(step)`` runs before each optimiser
    step (``step = 0 .. total - 1``) and once more after the last (``step = total``): the selectors make
    their picks there. ``desc`` shows a progress bar over epochs.
    """
    check_training(epochs, batch_size, lr)
    n = y.shape[0]
    generator = torch.Generator().manual_seed(int(seed))
    optimizer = torch.optim.Adam(model.parameters() if param_groups is None else param_groups, lr=lr)
    step = 0
    for _ in progress(range(epochs), desc=desc) if desc else range(epochs):
        for idx in torch.randperm(n, generator=generator).to(y.device).split(batch_size):
            if callback is not None:
                callback(step)
            xb = X[idx] if X.dim() == 2 else X[:, idx]
            loss = ensemble_loss(model(xb), y[idx])
            if penalty is not None:
                loss = loss + penalty()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
    if callback is not None:
        callback(step)
    return model



@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    """Predicted class of every copy, ``(M, n)``."""
    chunks = [model(X[i:i + batch_size] if X.dim() == 2 else X[:, i:i + batch_size]).argmax(-1)
              for i in range(0, X.shape[-2], batch_size)]
    return torch.cat(chunks, dim=-1)



@torch.no_grad()
def copy_losses(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every copy on ``(X, y)``, shape ``(M,)``."""
    logits = model(X)
    M, n, C = logits.shape
    return nn.functional.cross_entropy(logits.reshape(M * n, C), y.repeat(M), reduction="none").view(M, n).mean(1)



def encode_labels(y_train, *others):
    """Integer codes ``0..C-1`` of the training labels and the same codes for ``others``; raise on unseen labels."""
    classes, codes = np.unique(np.asarray(y_train), return_inverse=True)
    out = [codes]
    for y in others:
        y = np.asarray(y)
        pos = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        if not np.array_equal(classes[pos], y):
            raise ValueError(f"labels {sorted(set(y.tolist()) - set(classes.tolist()))[:5]} are not in y_train")
        out.append(pos)
    return classes, out



def zscore_stats(X: np.ndarray):
    """Mean and standard deviation of each column for z-scores (constant columns keep scale 1).

    The paper's code puts batch normalisation on the inputs; z-scoring with training statistics does
    the same job for a fixed data set.
    """
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    return X.mean(axis=0).astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)



def fit_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int,
                   lr: float = 1e-3, weight_decay: float = 0.0, seed: int = 0, loss_fn=None,
                   desc: str | None = None) -> list[float]:
    """Mini-batch Adam on a plain (one-copy) model whose ``model(X[idx])`` are ``(B, C)`` logits.

    ``loss_fn(model, xb, yb) -> loss`` replaces the cross-entropy when given (a chapter's own objective).
    ``seed`` fixes the batch order; the model's initialisation is the caller's. Returns the mean loss of each
    epoch. The model is left in ``eval`` mode.
    """
    check_training(epochs, batch_size, lr)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    generator = torch.Generator().manual_seed(int(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = loss_fn or (lambda m, xb, yb: nn.functional.cross_entropy(m(xb), yb))
    history = []
    model.train()
    for _ in progress(range(epochs), desc=desc) if desc else range(epochs):
        total, count = 0.0, 0
        for idx in torch.randperm(X.shape[0], generator=generator).to(X.device).split(batch_size):
            loss = loss_fn(model, X[idx], y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total, count = total + float(loss.detach()) * len(idx), count + len(idx)
        history.append(total / count)
    model.eval()
    return history


@torch.no_grad()
def batched(fn, X: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``fn`` applied to ``X`` in batches (inference without building a graph), concatenated along the first axis."""
    return torch.cat([fn(X[i:i + batch_size]) for i in range(0, X.shape[0], batch_size)])
