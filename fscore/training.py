"""The one MLP of Part I, its training loop, and the paper's evaluation protocol.

Every neural selector of Chapter 2 trains the same network: ``hidden`` fully connected layers with a
(leaky) ReLU and a linear output read as class logits (Yasuda et al., ICLR 2023, App. B; their code's
``MLPModel`` has one hidden layer of 67 units). :class:`MLP` holds ``n_models`` independent copies side
by side (batched matrix products), so that many candidate feature subsets train in one loop: the loss
is the sum of the copies' losses, and since Adam's update is elementwise each copy follows exactly the
updates it would get alone.

The paper's protocol (Sec. 4): select ``k`` features, train the same MLP again from scratch on those
features only, and report its test accuracy — :func:`evaluate_subsets`.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from fscore.progress import progress


class EnsembleLinear(nn.Module):
    """``n_models`` independent affine maps ``(M, B, n_in) -> (M, B, n_out)``, initialised as ``nn.Linear``."""

    def __init__(self, n_models: int, n_in: int, n_out: int, generator: torch.Generator):
        super().__init__()
        bound = 1.0 / math.sqrt(n_in)
        self.weight = nn.Parameter((torch.rand(n_models, n_in, n_out, generator=generator) * 2 - 1) * bound)
        self.bias = nn.Parameter((torch.rand(n_models, 1, n_out, generator=generator) * 2 - 1) * bound)

    def forward(self, x: torch.Tensor, row_scale: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` is ``(M, B, n_in)``, or ``(B, n_in)`` when every copy sees the same inputs.

        ``row_scale`` (``(n_in,)``) multiplies the inputs: ``(x * s) W = x (diag(s) W)``, applied to the
        ``n_in x n_out`` weight rather than to the ``B x n_in`` batch, which is cheaper when ``B > n_out``.
        """
        weight = self.weight if row_scale is None else self.weight * row_scale[:, None]
        if x.dim() == 2:
            # One GEMM against the copies' weights side by side: far faster than a batched product
            # over an expanded input (whose backward also materialises M copies of the input gradient).
            M, n_in, n_out = weight.shape
            out = x @ weight.permute(1, 0, 2).reshape(n_in, M * n_out)
            return out.view(x.shape[0], M, n_out).transpose(0, 1) + self.bias
        return torch.baddbmm(self.bias, x, weight)


class MLP(nn.Module):
    """``n_models`` MLPs ``d -> hidden... -> n_out`` evaluated side by side.

    ``forward`` takes ``(B, d)`` (every copy sees the same inputs) or ``(M, B, d)`` and returns
    ``(M, B, n_out)``. ``first_layer`` is the ``(M, d, h)`` weight whose row ``j`` holds feature j's
    outgoing weights: the rows that Group LASSO penalises and neural OMP differentiates.
    """

    def __init__(self, n_features: int, n_out: int, hidden=(67,), n_models: int = 1, negative_slope: float = 0.0,
                 seed: int = 0):
        super().__init__()
        hidden = check_hidden(hidden)
        generator = torch.Generator().manual_seed(int(seed))
        sizes = [n_features, *hidden, n_out]
        self.layers = nn.ModuleList(EnsembleLinear(n_models, a, b, generator) for a, b in zip(sizes, sizes[1:]))
        self.n_models = n_models
        self.negative_slope = negative_slope

    @property
    def first_layer(self) -> torch.Tensor:
        return self.layers[0].weight

    def forward(self, x: torch.Tensor, input_scale: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(M, B, n_out)`` of every copy; ``input_scale`` (``(d,)``) multiplies each input feature."""
        for i, layer in enumerate(self.layers[:-1]):
            x = layer(x, input_scale) if i == 0 else layer(x)
            x = torch.relu(x) if self.negative_slope == 0 else nn.functional.leaky_relu(x, self.negative_slope)
        return self.layers[-1](x)


def check_hidden(hidden) -> tuple[int, ...]:
    hidden = tuple(hidden)
    if not hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
        raise ValueError(f"hidden must be a non-empty sequence of positive layer widths, got {hidden!r}")
    return tuple(int(h) for h in hidden)


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


def fit_subsets(X, y, subsets, *, hidden=(67,), epochs=20, batch_size=128, lr=1e-3, seed=0, device="cpu",
                desc=None):
    """Train one fresh MLP per feature subset (all of the same size), side by side.

    Returns ``(model, select)`` where ``select(X)`` turns a data matrix into the copies' standardised
    ``(M, n, k)`` inputs. ``y`` must already be integer codes ``0..C-1``.
    """
    try:
        subsets = np.asarray(subsets, dtype=np.int64)
    except ValueError:  # ragged: numpy's own message does not say what is wrong
        subsets = np.empty(0)
    if subsets.ndim != 2 or subsets.shape[1] < 1:
        raise ValueError("subsets must be a non-empty list of equally long, non-empty index lists")
    mean, std = zscore_stats(X)
    index = torch.as_tensor(subsets, device=device)

    def select(A):
        Z = torch.as_tensor((np.asarray(A, dtype=np.float32) - mean) / std, device=device)
        return Z[:, index].permute(1, 0, 2).contiguous()  # (M, n, k)

    n_classes = int(np.max(y)) + 1
    model = MLP(subsets.shape[1], n_classes, hidden, n_models=len(subsets), seed=seed).to(device)
    train(model, select(X), torch.as_tensor(y, device=device), epochs=epochs, batch_size=batch_size, lr=lr,
          seed=seed, desc=desc)
    return model, select


def evaluate_subsets(X_train, y_train, X_test, y_test, subsets, return_correct: bool = False, **training):
    """The paper's protocol: retrain the MLP on each subset alone, return each one's test accuracy.

    Subsets of different sizes are trained in one batch per size. Keyword arguments go to
    :func:`fit_subsets` (``hidden``, ``epochs``, ``batch_size``, ``lr``, ``seed``, ``device``).
    ``return_correct=True`` also returns the ``(len(subsets), n_test)`` boolean matrix of which test
    examples each retrained network classifies correctly (for paired comparisons between subsets).
    """
    _, (codes_train, codes_test) = encode_labels(y_train, y_test)
    subsets = [np.asarray(s, dtype=np.int64) for s in subsets]
    if not subsets:
        raise ValueError("subsets is empty")
    d = np.asarray(X_train).shape[1]
    for s in subsets:
        if s.size == 0 or s.min() < 0 or s.max() >= d or np.unique(s).size != s.size:
            raise ValueError(f"a subset must hold distinct feature indices in [0, {d}), got {s.tolist()[:10]}")
    correct = np.empty((len(subsets), len(codes_test)), dtype=bool)
    for size in sorted({s.size for s in subsets}):
        members = [i for i, s in enumerate(subsets) if s.size == size]
        model, select = fit_subsets(X_train, codes_train, [subsets[i] for i in members], **training)
        device = model.first_layer.device
        hits = predict(model, select(X_test)) == torch.as_tensor(codes_test, device=device)
        correct[members] = hits.cpu().numpy()
    accuracy = correct.mean(axis=1)
    return (accuracy, correct) if return_correct else accuracy


def evaluate_subset(X_train, y_train, X_test, y_test, features, **training) -> float:
    """Test accuracy of the MLP retrained on ``features`` only (Yasuda et al., ICLR 2023, Sec. 4)."""
    return float(evaluate_subsets(X_train, y_train, X_test, y_test, [features], **training)[0])
