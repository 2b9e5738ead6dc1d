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

For a neural network (:class:`SequentialAttentionNet`, :class:`OneShotAttentionNet`) the same mask multiplies
the inputs of the MLP of :mod:`fscore.nn` (Yasuda et al., ICLR 2023, Sec. 4 and Algorithm 1).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from fscore.features._base import FeatureSelector
from fscore.features._linear import center_and_normalize
from fscore.features._neural import NeuralSelector, PhasedSelector, top_two_gap
from fscore.nn import MLP


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



SCHEDULES = {  # (warm-up fraction, where in each phase the pick happens)
    "paper": (0.0, "end"),
    "official": (0.1, "start"),
}



class _AttentionMLP(nn.Module):
    """The MLP behind Sequential Attention's mask: 1 for selected features, a softmax of the logits for the rest.

    ``active`` is off during the official schedule's warm-up (every feature at weight 1); ``all_selected`` once
    nothing is left to attend to.
    """

    def __init__(self, mlp: MLP, selected: torch.Tensor, generator: torch.Generator):
        super().__init__()
        self.mlp = mlp
        self.generator = generator
        self.logits = nn.Parameter(torch.zeros(selected.numel()))
        self.register_buffer("selected", selected)
        self.active = False
        self.all_selected = False
        self.reset_logits()

    def reset_logits(self) -> None:
        """Re-draw the logits near zero (the official code's ``N(0, 1e-5^2)``, ``reset_weights=True``)."""
        with torch.no_grad():
            noise = torch.randn(self.logits.shape, generator=self.generator) * 1e-5
            self.logits.copy_(noise.to(self.logits.device))

    def weights(self) -> torch.Tensor:
        """The mask ``s(a, S)``: 1 on the selected set, ``softmax(a)`` over the others (the score of a pick)."""
        return attention_mask(self.logits, self.selected)

    def forward(self, x):
        # the mask scales the first layer's rows, the same as scaling the inputs and cheaper: (x * m) W = x (m W)
        return self.mlp(x, input_scale=self.weights() if self.active and not self.all_selected else None)



class SequentialAttentionNet(PhasedSelector):
    """Sequential Attention for an MLP (Yasuda et al., ICLR 2023, Algorithm 1 and Fig. 1).

    The inputs are multiplied by the mask ``s(a, S)``: 1 on the selected set ``S`` and ``softmax(a)`` over the
    rest (Sec. 2, the paper's ``softmax_i(w, S-bar)``; the book writes the logits ``a``); the logits train with
    the network. In one warm-started run the ``k`` picks are spread over training, each the unselected feature
    with the largest attention weight, after which ``a`` is re-drawn near zero (the official code's
    ``N(0, 1e-5^2)``).

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector` (``lr``: the network's Adam learning rate).
    schedule : {"paper", "official"}, default="paper"
        ``"paper"``: Algorithm 1 read as one pass: ``k`` equal phases from the first step, each ending with a
        pick, so every pick follows a phase of training with the attention on. ``"official"``: the released
        code (``sequential_attention.py``: ``start_percentage=0.1``, ``stop_percentage=1.0``): the first 10% of
        steps train with every feature at weight 1 and no attention, then ``k`` equal phases with the pick at
        the *start* of each, so the first pick is made from logits that have not trained yet, and the last
        phase's attention is never used. See :data:`SCHEDULES` and :func:`~fscore.features.pick_steps`.
    attention_lr : float or None, default=0.1
        Adam learning rate of the logits ``a``. Adam moves every parameter by about its learning rate per step
        whatever the gradient's size, so at ``1e-3`` a logit moves by at most ~0.1 in a phase of 100 steps:
        the softmax stays nearly uniform and the pick is decided by small differences. The official code
        trains everything at one rate tuned per data set (``hyperparams_sa.py``: 0.4 for Fashion-MNIST, 1.0
        for Mice Protein); ``None`` reproduces that single rate with ``lr``.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The selected features in pick order.
    scores_path_ : ndarray of shape (k, d)
        The attention weights ``s(a, S)`` of the unselected features just before each pick (selected ones
        ``-inf``).
    attention_gaps_ : ndarray of shape (k,)
        At each pick, the relative gap between the two largest attention weights, ``(s_(1) - s_(2)) / s_(1)``
        (:func:`~fscore.features._neural.top_two_gap`): how clearly the winner won. A gap near 0 means the pick
        was decided by noise, not by training.
    pick_steps_ : list of int
        The training steps at which the picks happened.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    T. Yasuda, M. Bateni, L. Chen, M. Fahrbach, G. Fu, V. Mirrokni, "Sequential Attention for Feature
    Selection", ICLR 2023 (arXiv:2209.14881), Algorithm 1, Sec. 2 and 4; the official code,
    ``google-research/sequential_attention/sequential_attention.py``.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 schedule: str = "paper", attention_lr: float | None = 0.1, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.schedule = schedule
        self.attention_lr = attention_lr

    def _train(self, module, X, y, **kwargs):
        lr = self.lr if self.attention_lr is None else self.attention_lr
        if not lr > 0:
            raise ValueError(f"attention_lr must be positive, got {self.attention_lr!r}")
        groups = [{"params": module.mlp.parameters()}, {"params": [module.logits], "lr": lr}]
        return super()._train(module, X, y, param_groups=groups, **kwargs)

    def _schedule(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {self.schedule!r}")
        return SCHEDULES[self.schedule]

    def _build(self, d, n_classes, selected):
        generator = torch.Generator().manual_seed(self.seed_ + 1)
        return _AttentionMLP(self._mlp(d, n_classes), selected, generator)

    def _on_step(self, module, step, warmup_steps):
        module.active = step >= warmup_steps

    def _scores(self, module, X, y, selected):
        return module.weights()

    def _after_pick(self, module, j):
        module.all_selected = bool(module.selected.all())
        module.reset_logits()

    def _select(self, X, y):
        picks = super()._select(X, y)
        self.attention_gaps_ = np.array([top_two_gap(weights) for weights in self.scores_path_])
        return picks



class _BatchAttentionMLP(nn.Module):
    """LLY's mask: an attention network's logits, averaged over the batch, through a softmax."""

    def __init__(self, mlp: MLP, attention: MLP):
        super().__init__()
        self.mlp = mlp
        self.attention = attention

    def weights(self, x):
        # The official code's attention net ends in a leaky-ReLU layer too (LiaoLattyYangMask: Dense
        # 128, 64, d, all with LeakyReLU(0.2)); the batch mean of its outputs goes through the softmax.
        logits = nn.functional.leaky_relu(self.attention(x)[0], 0.2)
        return torch.softmax(logits.mean(0), dim=0)

    def forward(self, x):
        return self.mlp(x * self.weights(x))



class OneShotAttentionNet(NeuralSelector):
    """One-shot attention "LLY" (Liao, Latty & Yang, IJCNN 2021), the baseline of Yasuda et al. (ICLR 2023, Sec. 4).

    An attention network maps each example to ``d`` logits; their batch average goes through a softmax to give
    one weight per feature, which multiplies the inputs of the MLP; both train together. The ``k`` features with
    the largest weight, averaged over the training set, are selected at once: the ranking never learns that a
    feature is redundant given those already chosen.

    Parameters
    ----------
    k, hidden, epochs, batch_size, lr, random_state, device
        As :class:`~fscore.features._neural.NeuralSelector`.
    attention_hidden : tuple of int, default=(128, 64)
        Hidden layers of the attention network (leaky ReLU 0.2 on every layer, its output too, as the official
        ``LiaoLattyYangMask``: Dense 128, 64, d).
    attention_lr : float or None, default=None
        Adam learning rate of the attention network; ``None``: ``lr``, as in the official code.

    Attributes
    ----------
    ranking_ : ndarray of shape (k,)
        The ``k`` features with the largest weight, largest first.
    attention_ : ndarray of shape (d,)
        The final softmax weights, averaged over the training set.
    seed_, classes_, device_
        As :class:`~fscore.features._neural.NeuralSelector`.

    References
    ----------
    Y. Liao, R. Latty, B. Yang, "Feature selection using batch-wise attenuation and feature mask
    normalization", IJCNN 2021. Yasuda et al., ICLR 2023, Sec. 4 (the baseline "LLY"); the official code,
    ``google-research/sequential_attention/benchmarks/liao_latty_yang.py``.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 attention_hidden=(128, 64), attention_lr: float | None = None, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.attention_hidden = attention_hidden
        self.attention_lr = attention_lr

    def _train(self, module, X, y, **kwargs):
        lr = self.lr if self.attention_lr is None else self.attention_lr
        if not lr > 0:
            raise ValueError(f"attention_lr must be positive, got {self.attention_lr!r}")
        groups = [{"params": module.mlp.parameters()}, {"params": module.attention.parameters(), "lr": lr}]
        return super()._train(module, X, y, param_groups=groups, **kwargs)

    def _select(self, X, y):
        X, y, n_classes = self._prepare(X, y)
        d = X.shape[1]
        attention = MLP(d, d, self.attention_hidden, negative_slope=0.2, seed=self.seed_ + 1)
        module = self._train(_BatchAttentionMLP(self._mlp(d, n_classes), attention), X, y)
        with torch.no_grad():
            self.attention_ = module.weights(X).cpu().numpy()
        return np.argsort(-self.attention_, kind="stable")[: self.k]

