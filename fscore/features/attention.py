"""Attention over features in the linear model: Sequential Attention and one-shot attention.

Sequential Attention (Yasuda et al., ICLR 2023, Algorithm 1) multiplies each not-yet-selected
feature by a softmax weight ``s_j = softmax(w)_j`` over those features (picked features pass with
weight 1), trains the weights ``w`` jointly with the model, picks the feature with the largest
weight, and repeats, warm-starting from the current parameters. For the linear model
``f(x) = sum_j m_j beta_j x_j`` with an l2 penalty on the unselected ``beta``, minimising over the
softmax weights turns ``lambda/2 * sum beta_j^2`` into ``lambda/2 * (sum_j |gamma_j|^(2/3))^3``, the
squared l_{2/3} quasi-norm of the effective coefficients ``gamma_j = s_j beta_j`` (the best weights are
``s_j ~ |gamma_j|^(2/3)``; the Hadamard-product overparameterisation of the paper's Sec. 3). That penalty
is at least ``||gamma||_1^2`` and not convex; with a strong penalty its global minimiser puts all the
weight on the feature with the largest gradient ``|x_j^T r|``: OMP's pick (Yasuda et al., Sec. 3;
Axiotis & Yasuda, 2023). Every axis is also a local minimiser, so each step starts from uniform weights.

One-shot attention ("LLY", Liao, Latty & Yang, 2021) trains the same attention once over all
features and keeps the ``k`` largest weights: it cannot see that a feature is redundant given others.
"""
from __future__ import annotations

import numpy as np
import torch

from fscore.features._base import FeatureSelector
from fscore.features._linear import center_and_normalize


def attention_mask(logits: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
    """1 for selected features; a softmax over the logits of the others (Yasuda et al., Alg. 1)."""
    masked = logits.masked_fill(selected, float("-inf"))
    return torch.where(selected, torch.ones_like(logits), torch.softmax(masked, dim=0))


class _LinearAttention(FeatureSelector):
    """Full-batch training of ``y ~ Z (mask * beta)`` with an l2 penalty on the unselected ``beta``.

    Every pick solves that step's problem from a neutral start (uniform attention, zero coefficients
    for the features still unselected; the selected ones keep theirs), as the paper's analysis does.
    The unselected coefficients are stored in units of ``1 / (1 + l2)``: the objective and its
    minimiser are unchanged, but the parameters stay of order one, so the optimiser takes sensible
    steps even under the strong penalty the equivalence needs. ``optimizer="lbfgs"`` (full-batch
    quasi-Newton) reaches each step's optimum; ``"adam"`` with ``steps`` updates shows what a fixed
    training budget does.

    The penalty must be strong relative to how close OMP's two best scores are: with ``l2=100`` a
    0.14% gap between them was resolved the wrong way; ``1e4`` resolved it (Chapter 1 measures the
    agreement); much stronger penalties (``1e5``) starve the optimiser of gradient.
    """

    def __init__(self, k: int = 10, l2: float = 1e4, optimizer: str = "lbfgs", steps: int = 100,
                 lr: float = 0.05):
        super().__init__(k)
        self.l2 = l2
        self.optimizer = optimizer
        self.steps = steps
        self.lr = lr

    def _setup(self, X, y):
        if self.l2 <= 0 or self.lr <= 0 or self.steps < 1:
            raise ValueError(f"need l2 > 0, lr > 0 and steps >= 1, got {self.l2}, {self.lr}, {self.steps}")
        if self.optimizer not in ("lbfgs", "adam"):
            raise ValueError(f"optimizer must be 'lbfgs' or 'adam', got {self.optimizer!r}")
        Z, yc, *_ = center_and_normalize(X, y)
        n = len(yc)
        # Unit-variance columns and target: the penalty means the same on every data set.
        Z = torch.from_numpy(Z * np.sqrt(n))
        yc = torch.from_numpy(yc / (np.linalg.norm(yc) / np.sqrt(n)))
        d = Z.shape[1]
        return Z, yc, torch.zeros(d, dtype=Z.dtype, requires_grad=True), torch.zeros(d, dtype=Z.dtype,
                                                                                      requires_grad=True)

    def _train(self, Z, yc, logits, beta, selected):
        """Solve one step's problem; return the attention weights of the unselected features (0 for selected)."""
        with torch.no_grad():
            logits.zero_()
            beta[~selected] = 0.0
        unit = torch.where(selected, 1.0, 1.0 / (1.0 + self.l2)).to(Z.dtype)

        def closure():
            optimizer.zero_grad()
            coef = unit * beta
            residual = yc - Z @ (attention_mask(logits, selected) * coef)
            loss = 0.5 * residual.pow(2).mean() + 0.5 * self.l2 * coef[~selected].pow(2).sum()
            loss.backward()
            return loss

        if self.optimizer == "lbfgs":
            optimizer = torch.optim.LBFGS([logits, beta], max_iter=self.steps, line_search_fn="strong_wolfe",
                                          tolerance_grad=1e-10, tolerance_change=1e-14)
            optimizer.step(closure)
        else:
            optimizer = torch.optim.Adam([logits, beta], lr=self.lr)
            for _ in range(self.steps):
                optimizer.step(closure)
        with torch.no_grad():
            return attention_mask(logits, selected).masked_fill(selected, 0.0).numpy().copy()


class LinearSequentialAttention(_LinearAttention):
    """Sequential Attention for linear regression: train, pick the largest attention weight, repeat.

    ``attention_path_[t]`` holds the softmax weights over the unselected features before pick t.
    """

    def _select(self, X, y):
        Z, yc, logits, beta = self._setup(X, y)
        selected = torch.zeros(Z.shape[1], dtype=torch.bool)
        picks, path = [], []
        for _ in range(self.k):
            weights = self._train(Z, yc, logits, beta, selected)
            j = int(np.argmax(weights))
            picks.append(j)
            path.append(weights)
            selected[j] = True
        self.attention_path_ = np.array(path)
        return picks


class OneShotAttention(_LinearAttention):
    """One-shot attention: train the attention over all features once, keep the ``k`` largest weights."""

    def _select(self, X, y):
        Z, yc, logits, beta = self._setup(X, y)
        self.attention_ = self._train(Z, yc, logits, beta, torch.zeros(Z.shape[1], dtype=torch.bool))
        return np.argsort(-self.attention_, kind="stable")[: self.k]
