"""Sparsity baselines for the MLP: Sequential LASSO, Group LASSO and neural OMP on the first layer's rows.

Row ``j`` of the first layer, ``W_j``, holds feature j's outgoing weights: the feature is out of the
network exactly when that row is zero. The three baselines of Yasuda et al. (ICLR 2023, Sec. 4; their
code's ``mlp_seql.py`` and ``mlp_omp.py``) score features by it.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from fscore.features._neural import NeuralSelector, PhasedSelector
from fscore.training import MLP, ensemble_loss


def _row_norms(mlp: MLP) -> torch.Tensor:
    return mlp.first_layer[0].norm(dim=1)


class SequentialLassoNet(PhasedSelector):
    """Sequential LASSO for an MLP (Luo & Chen, 2014, adapted by Yasuda et al., Sec. 4).

    Training adds ``penalty * sum_{j not in S} ||W_j||_2``, a group-LASSO penalty on the first-layer
    rows of the unselected features only. After a 10% warm-up, ``k`` equal phases each end with a pick:
    the unselected feature with the largest row norm, whose row is no longer penalised from then on.
    ``penalty=0.01`` is the official code's ``group_lasso_scale``.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 penalty: float = 0.01, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.penalty = penalty

    def _build(self, d, n_classes, selected):
        if not self.penalty > 0:
            raise ValueError(f"penalty must be positive, got {self.penalty!r}")
        return self._mlp(d, n_classes)

    def _penalty(self, module, selected):
        return lambda: self.penalty * _row_norms(module)[~selected].sum()

    def _scores(self, module, X, y, selected):
        return _row_norms(module)


class GroupLassoNet(NeuralSelector):
    """Group LASSO on the first layer's rows (Yuan & Lin, 2006; a baseline of Yasuda et al., Sec. 4).

    Train with ``penalty * sum_j ||W_j||_2`` for the whole budget and keep the ``k`` largest row norms.
    (The official code reads the rows once, after the first 10% of training; reading them at the end
    lets the penalty act for the full budget.) ``row_norms_`` holds the final norms.
    """

    def __init__(self, k: int = 10, hidden=(67,), epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                 penalty: float = 0.01, random_state=None, device=None):
        super().__init__(k, hidden, epochs, batch_size, lr, random_state, device)
        self.penalty = penalty

    def _select(self, X, y):
        if not self.penalty > 0:
            raise ValueError(f"penalty must be positive, got {self.penalty!r}")
        X, y, n_classes = self._prepare(X, y)
        mlp = self._mlp(X.shape[1], n_classes)
        self._train(mlp, X, y, penalty=lambda: self.penalty * _row_norms(mlp).sum())
        self.row_norms_ = _row_norms(mlp).detach().cpu().numpy()
        return np.argsort(-self.row_norms_, kind="stable")[: self.k]


class _MaskedMLP(nn.Module):
    """The MLP seeing only the selected features (the others are multiplied by 0)."""

    def __init__(self, mlp: MLP, selected: torch.Tensor):
        super().__init__()
        self.mlp = mlp
        self.register_buffer("selected", selected)

    def forward(self, x):
        return self.mlp(x * self.selected.to(x.dtype))


class OMPNet(PhasedSelector):
    """Neural OMP (Yasuda et al., Sec. 4; their ``mlp_omp.py``): pick the largest first-layer gradient.

    The network trains on the selected features only. At each pick the loss gradient with respect to
    the first layer is taken with *every* feature switched on, and the unselected feature whose row
    ``dL/dW_j`` has the largest norm is added: for a linear model this is OMP's ``|x_j^T r|``. The
    ``k`` picks open ``k`` equal phases, the first at step 0 (no warm-up: with nothing selected the
    network sees no input). The gradient is taken on the whole training set (the official code uses
    the last mini-batch). The first-layer rows of unselected features are held at zero (the official code
    leaves them at their random initialisation, so its gradient is taken at a network that every
    unselected feature perturbs at once). ``scores_path_[t]`` holds the gradient norms before pick t.
    """

    def _schedule(self):
        return 0.0, "start"

    def _build(self, d, n_classes, selected):
        mlp = self._mlp(d, n_classes)
        with torch.no_grad():
            # Rows of unselected features start (and, their inputs masked, stay) at zero, so that switching
            # every feature on leaves the network's output unchanged and dL/dW_j is the gradient of adding
            # feature j to the network trained on S: OMP's score. With randomly initialised rows the gradient
            # would be taken at a network perturbed by every unselected feature at once.
            mlp.first_layer.zero_()
        return _MaskedMLP(mlp, selected)

    def _scores(self, module, X, y, selected):
        weight = module.mlp.first_layer
        (grad,) = torch.autograd.grad(ensemble_loss(module.mlp(X), y), weight)
        return grad[0].norm(dim=1)
