"""Selecting features for a neural network: Sequential Attention and the paper's baselines.

All of them train the MLP of :mod:`fscore.training` (Yasuda et al., ICLR 2023, Sec. 4: one hidden
layer of 67 units in their code) and are scikit-learn selectors (``fit``, ``transform``,
``ranking_`` in pick order). The sparsity-based baselines (Sequential LASSO, Group LASSO, neural OMP)
are in :mod:`fscore.features.neural_sparse`.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from torch import nn

from fscore.features._base import FeatureSelector
from fscore.features._neural import NeuralSelector, PhasedSelector, pick_steps
from fscore.features.attention import attention_mask
from fscore.features.neural_sparse import GroupLassoNet, OMPNet, SequentialLassoNet
from fscore.runtime import default_device
from fscore.training import MLP, check_hidden, check_training, copy_losses, encode_labels, fit_subsets

__all__ = ["ForwardSelectionNet", "GroupLassoNet", "OMPNet", "OneShotAttentionNet", "RandomSubset",
           "SequentialAttentionNet", "SequentialLassoNet", "pick_steps"]

SCHEDULES = {  # (warm-up fraction, where in each phase the pick happens)
    "paper": (0.0, "end"),
    "official": (0.1, "start"),
}


class _AttentionMLP(nn.Module):
    """The MLP behind a feature mask: 1 for selected features, softmax of the logits for the rest."""

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
        return attention_mask(self.logits, self.selected)

    def forward(self, x):
        # the mask scales the first layer's rows, the same as scaling the inputs and cheaper: (x * m) W = x (m W)
        return self.mlp(x, input_scale=self.weights() if self.active and not self.all_selected else None)


class SequentialAttentionNet(PhasedSelector):
    """Sequential Attention for an MLP (Yasuda et al., ICLR 2023, Algorithm 1, Fig. 1).

    The inputs are multiplied by ``m = 1`` on the selected set ``S`` and ``softmax(w)`` over the rest
    (Sec. 2, Eq. for ``softmax_i(w, S-bar)``); ``w`` trains with the network. In one warm-started run the
    ``k`` picks are spread over training, each the unselected feature with the largest attention
    weight, after which ``w`` is re-drawn near zero. ``schedule`` chooses how:

    - ``"paper"``: Algorithm 1 read one-pass: ``k`` equal phases from the first step, each ending with
      a pick, so every pick follows a phase of training with the attention on.
    - ``"official"``: the released code (``sequential_attention.py``: ``start_percentage=0.1``,
      ``stop_percentage=1.0``): the first 10% of steps train with every feature at weight 1 and no
      attention, then ``k`` equal phases with the pick at the *start* of each. The first pick is thus
      made from logits that have not trained yet, and the last phase's attention is never used.

    ``attention_lr`` is the Adam learning rate of the logits ``w`` (the network keeps ``lr``). Adam moves
    every parameter by about its learning rate per step whatever the gradient's size, so at ``1e-3`` a
    logit moves by at most ~0.1 in a phase of 100 steps: the softmax stays nearly uniform and the pick is
    decided by small differences. The official code trains everything at one rate, tuned per data set
    (``hyperparams_sa.py``: 0.4 for Fashion-MNIST, 1.0 for Mice Protein); ``attention_lr=None`` reproduces
    that single rate with ``lr``. ``scores_path_[t]`` holds the attention weights before pick t.
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
    """One-shot attention "LLY" (Liao, Latty & Yang, IJCNN 2021), as the paper's baseline (Yasuda et al., Sec. 4).

    An attention network (``attention_hidden`` layers, leaky ReLU 0.2) maps each example to ``d``
    logits; their batch average goes through a softmax to give one weight per feature, which multiplies
    the inputs of the MLP; both train together. The ``k`` features with the largest weight, averaged over
    the training set, are selected at once: the ranking never learns that a feature is redundant given
    those already chosen. ``attention_`` holds the final weights. ``attention_lr`` (default: ``lr``, as
    in the official code) is the Adam learning rate of the attention network.
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


class RandomSubset(FeatureSelector):
    """``k`` features drawn uniformly at random without replacement: the floor every method must clear."""

    _task = "classification"

    def __init__(self, k: int = 10, random_state=None):
        super().__init__(k)
        self.random_state = random_state

    def _select(self, X, y):
        return check_random_state(self.random_state).choice(X.shape[1], self.k, replace=False)


class ForwardSelectionNet(NeuralSelector):
    """Greedy forward selection with the MLP: at each step retrain for every candidate, keep the best.

    Step t trains one fresh MLP on ``S + {j}`` for every unselected ``j`` (side by side, see
    :func:`fscore.training.fit_subsets`) and adds the ``j`` with the lowest loss on a held-out
    ``validation_fraction`` of the training data. It costs ``k`` trainings of ``d - t`` networks each:
    the procedure Sequential Attention approximates in one run (Yasuda et al., Sec. 1). ``val_loss_path_[t]``
    holds the candidates' validation losses (``inf`` for features already selected).
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 validation_fraction: float = 0.25, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.validation_fraction = validation_fraction

    def _select(self, X, y):
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {self.validation_fraction!r}")
        check_hidden(self.hidden)
        check_training(self.epochs, self.batch_size, self.lr)
        self.classes_, (codes,) = encode_labels(y)
        self.seed_ = int(check_random_state(self.random_state).randint(2**31 - 1))
        self.device_ = torch.device(self.device) if self.device else default_device()
        X_fit, X_val, y_fit, y_val = train_test_split(X, codes, test_size=self.validation_fraction, stratify=codes,
                                                      random_state=self.seed_)
        y_val = torch.as_tensor(y_val, device=self.device_)
        picks, path = [], []
        for _ in range(self.k):
            candidates = np.setdiff1d(np.arange(X.shape[1]), picks)
            model, select = fit_subsets(X_fit, y_fit, [picks + [j] for j in candidates], hidden=self.hidden,
                                        epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, seed=self.seed_,
                                        device=self.device_)
            losses = np.full(X.shape[1], np.inf)
            losses[candidates] = copy_losses(model, select(X_val), y_val).cpu().numpy()
            picks.append(int(np.argmin(losses)))
            path.append(losses)
        self.val_loss_path_ = np.array(path)
        return picks
