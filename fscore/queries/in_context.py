"""In-context linear regression, and one linear self-attention layer that is one step of gradient descent.

von Oswald, Niklasson, Randazzo, Sacramento, Mordvintsev, Zhmoginov & Vladymyrov, *Transformers learn
in-context by gradient descent*, ICML 2023 (arXiv:2212.07677); the authors' code is
``google-research/self-organising-systems/transformers_learn_icl_by_gd`` (``src/data.py``, ``src/train.py``).

A task is a weight vector :math:`w \\sim \\mathcal{N}(0, I)`; its context holds ``N`` pairs
:math:`(x_i, y_i = w^\\top x_i)` with :math:`x_i` uniform in :math:`[-r/2, r/2]^d`, and a query :math:`x_q`
whose target :math:`w^\\top x_q` is hidden. Tokens are :math:`e_i = (x_i, y_i)` and the query token is
:math:`(x_q, 0)`; the model's prediction is *minus* the last entry of the query token after the layers.

Gradient descent on the in-context loss :math:`L(W) = \\frac{1}{2N} \\sum_i \\lVert W x_i - y_i \\rVert^2`
from :math:`W_0 = 0` with step :math:`\\eta` is :func:`gd_predictions`; the weights of one linear
self-attention layer that compute exactly one such step are :func:`gd_construction` (the paper's construction);
:func:`line_search` finds the best step size; :func:`train_lsa` trains layers on random tasks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from fscore.nn.transformer import LinearSelfAttentionStack
from fscore.progress import progress


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _positive_float(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


@dataclass
class RegressionTasks:
    """A batch of in-context regression tasks: contexts ``X (B, N, d)``, ``y (B, N)``; queries ``x_query (B, d)``,
    hidden targets ``y_query (B,)``; the tasks' weights ``w (B, d)``."""

    X: torch.Tensor
    y: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor
    w: torch.Tensor

    def __post_init__(self):
        if self.X.dim() != 3 or self.y.shape != self.X.shape[:2] or self.x_query.shape != (self.X.shape[0],
                                                                                           self.X.shape[2]):
            raise ValueError(f"inconsistent task shapes: X {tuple(self.X.shape)}, y {tuple(self.y.shape)}, "
                             f"x_query {tuple(self.x_query.shape)}")
        if self.X.shape[1] < 1:
            raise ValueError("a task needs at least one context pair (N >= 1)")
        for name in ("X", "y", "x_query"):
            if not torch.isfinite(getattr(self, name)).all():
                raise ValueError(f"{name} contains NaN or infinite values")

    @property
    def n_context(self) -> int:
        return self.X.shape[1]

    @property
    def dim(self) -> int:
        return self.X.shape[2]


def regression_tasks(n_tasks: int, n_context: int, dim: int, generator: torch.Generator, input_range: float = 1.0,
                     weight_scale: float = 1.0, dtype=torch.float32) -> RegressionTasks:
    """``n_tasks`` random linear tasks as in the authors' ``create_reg_data``.

    Parameters
    ----------
    n_tasks, n_context, dim : int
        Batch size ``B``, context pairs per task ``N`` and input dimension ``d`` (the paper: ``N = d = 10``).
    generator : torch.Generator
        Source of every random number (a rerun with the same seed gives the same tasks).
    input_range : float
        Inputs are uniform in ``[-input_range / 2, input_range / 2]`` (the code's ``config.input_range = 1.0``).
    weight_scale : float
        Weights are ``weight_scale * N(0, I)``.
    """
    n_tasks, n_context, dim = (_positive_int("n_tasks", n_tasks), _positive_int("n_context", n_context),
                               _positive_int("dim", dim))
    input_range, weight_scale = _positive_float("input_range", input_range), _positive_float("weight_scale",
                                                                                             weight_scale)
    w = torch.randn(n_tasks, dim, generator=generator, dtype=dtype) * weight_scale
    X = (torch.rand(n_tasks, n_context + 1, dim, generator=generator, dtype=dtype) - 0.5) * input_range
    targets = torch.einsum("bnd,bd->bn", X, w)
    return RegressionTasks(X[:, :-1], targets[:, :-1], X[:, -1], targets[:, -1], w)


def tokens(tasks: RegressionTasks) -> torch.Tensor:
    """The token sequence ``(B, N + 1, d + 1)``: ``e_i = (x_i, y_i)`` and the query token ``(x_q, 0)`` last."""
    context = torch.cat([tasks.X, tasks.y[..., None]], dim=-1)
    query = torch.cat([tasks.x_query, torch.zeros_like(tasks.x_query[:, :1])], dim=-1)
    return torch.cat([context, query[:, None]], dim=1)


def regression_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The authors' loss ``0.5 * mean((target - prediction)^2)`` over tasks (over the last axis)."""
    return 0.5 * ((target - prediction) ** 2).mean(-1)


def gd_predictions(tasks: RegressionTasks, eta: float, steps: int = 1) -> torch.Tensor:
    r"""Query predictions after each of ``steps`` steps of gradient descent on the in-context loss, ``(steps, B)``.

    :math:`W_{k+1} = W_k - \eta \nabla L(W_k)` with :math:`\nabla L(W) = \frac1N \sum_i (W x_i - y_i) x_i^\top`
    from :math:`W_0 = 0`, and the prediction :math:`W_k x_q` (von Oswald et al., ICML 2023).
    """
    eta, steps = _positive_float("eta", eta), _positive_int("steps", steps)
    W = torch.zeros_like(tasks.x_query)
    out = []
    for _ in range(steps):
        residual = torch.einsum("bnd,bd->bn", tasks.X, W) - tasks.y
        W = W - eta / tasks.n_context * torch.einsum("bn,bnd->bd", residual, tasks.X)
        out.append((W * tasks.x_query).sum(-1))
    return torch.stack(out)


def gd_construction(dim: int, n_context: int, eta: float, W0=None):
    r"""The weights ``(W_Q, W_K, W_V, P)`` of one linear self-attention layer that make one GD step.

    With tokens of size :math:`D = d + 1`,
    :math:`W_K = W_Q = \begin{pmatrix} I_d & 0 \\ 0 & 0 \end{pmatrix}`,
    :math:`W_V = \begin{pmatrix} 0 & 0 \\ W_0 & -1 \end{pmatrix}` and :math:`P = \frac{\eta}{N} I_D`
    (von Oswald et al., ICML 2023; the code's ``create_weights`` puts :math:`\eta / N` on the last diagonal entry
    of :math:`P` only, which gives the same layer because :math:`W_V` has only a last row). The layer then
    changes the last entry of every token by :math:`-\Delta W x_j`, where :math:`\Delta W = -\eta \nabla L(W_0)`:
    the query token's becomes :math:`-\Delta W x_q`, and each context token's target becomes the residual
    :math:`y_j - \Delta W x_j`, so that the next layer's step starts from :math:`W_0 + \Delta W`.
    """
    dim, n_context, eta = _positive_int("dim", dim), _positive_int("n_context", n_context), _positive_float("eta",
                                                                                                           eta)
    D = dim + 1
    W_KQ = torch.zeros(D, D, dtype=torch.float64)
    W_KQ[:dim, :dim] = torch.eye(dim, dtype=torch.float64)
    W_V = torch.zeros(D, D, dtype=torch.float64)
    if W0 is not None:
        W_V[dim, :dim] = torch.as_tensor(W0, dtype=torch.float64).reshape(dim)
    W_V[dim, dim] = -1.0
    P = torch.eye(D, dtype=torch.float64) * (eta / n_context)
    return W_KQ.clone(), W_KQ.clone(), W_V, P


def lsa_predictions(model: LinearSelfAttentionStack, tasks: RegressionTasks) -> torch.Tensor:
    """Query predictions read out after each layer, ``(n_layers, B)``: minus the query token's last entry."""
    return -model(tokens(tasks))[:, :, -1, -1]


def constructed_stack(dim: int, n_context: int, eta: float, n_layers: int = 1) -> LinearSelfAttentionStack:
    """``n_layers`` layers, each holding :func:`gd_construction` (float64): ``n_layers`` steps of GD."""
    model = LinearSelfAttentionStack(dim + 1, n_layers).double()
    for layer in model.layers:
        layer.set_weights(*gd_construction(dim, n_context, eta))
    return model


def gd_loss(tasks: RegressionTasks, eta: float, steps: int = 1) -> float:
    """Loss of the prediction after ``steps`` GD steps of size ``eta``, averaged over the tasks."""
    return float(regression_loss(gd_predictions(tasks, eta, steps)[-1], tasks.y_query))


def line_search(tasks: RegressionTasks, steps: int = 1, grid=None) -> tuple[float, float]:
    """The step size that minimises the loss of ``steps`` GD steps on ``tasks``: ``(eta, loss)``.

    A log-spaced grid (default ``10**linspace(-3, 1, 81)``) brackets the minimum; Brent's method
    (``scipy.optimize.minimize_scalar``, bounded) refines it between the best grid point's neighbours. The
    returned loss is never above the grid's best.
    """
    steps = _positive_int("steps", steps)
    grid = np.logspace(-3, 1, 81) if grid is None else np.sort(np.asarray(grid, dtype=float))
    if grid.ndim != 1 or grid.size < 3 or not np.all(np.isfinite(grid)) or grid[0] <= 0:
        raise ValueError("grid must hold at least three finite positive step sizes")
    losses = np.array([gd_loss(tasks, eta, steps) for eta in grid])
    losses = np.where(np.isfinite(losses), losses, np.inf)
    best = int(np.argmin(losses))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    refined = minimize_scalar(lambda eta: gd_loss(tasks, eta, steps), bounds=(low, high), method="bounded",
                              options={"xatol": 1e-6 * high})
    if np.isfinite(refined.fun) and refined.fun <= losses[best]:
        return float(refined.x), float(refined.fun)
    return float(grid[best]), float(losses[best])


def train_lsa(n_layers: int, dim: int, n_context: int, *, steps: int, batch_size: int = 512, lr: float = 1e-3,
              seed: int = 0, input_range: float = 1.0, init_scale: float = 0.002, desc: str | None = None):
    """Train ``n_layers`` linear self-attention layers on fresh random tasks each step: ``(model, losses)``.

    Adam (``betas = (0.9, 0.98)``, learning rate ``lr``) on the loss of the last layer's prediction, batches of
    ``batch_size`` new tasks, as in the authors' ``train.py`` and ``config.py`` (batch 512, learning rate
    1e-3, 10,000 steps, initial variance scale 0.002). Returns the model and the training loss of each step.
    """
    steps, batch_size = _positive_int("steps", steps), _positive_int("batch_size", batch_size)
    lr = _positive_float("lr", lr)
    model = LinearSelfAttentionStack(dim + 1, n_layers, init_scale=init_scale, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    generator = torch.Generator().manual_seed(int(seed) + 1)
    losses = []
    for _ in progress(range(steps), desc=desc) if desc else range(steps):
        tasks = regression_tasks(batch_size, n_context, dim, generator, input_range)
        loss = regression_loss(lsa_predictions(model, tasks)[-1], tasks.y_query)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return model, np.array(losses)


def prediction_sensitivities(predict, tasks: RegressionTasks) -> torch.Tensor:
    """``d prediction / d x_query`` for every task, ``(B, d)``; ``predict(tasks) -> (B,)`` is differentiable.

    The paper compares these between the trained model and GD ("model sensitivities"; the code's
    ``analyse``): for GD they are the learned weights :math:`\\Delta W` of each task.
    """
    x_query = tasks.x_query.detach().clone().requires_grad_(True)
    moved = RegressionTasks(tasks.X, tasks.y, x_query, tasks.y_query, tasks.w)
    (grad,) = torch.autograd.grad(predict(moved).sum(), x_query)
    return grad


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of the rows of ``a`` and ``b`` (of two vectors if 1-D)."""
    return torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-12)


def aligned_weights(layer, dim: int):
    r"""A trained layer's two products that its prediction depends on, with the scale symmetry removed.

    The query's prediction is :math:`-\sum_i (P W_V)_{D,:} e_i \; e_i^\top W_K^\top W_Q e_q`: it depends on the
    layer only through :math:`A = W_K^\top W_Q` (its first ``d`` columns, since the query's last entry is 0) and
    the last row :math:`b` of :math:`P W_V`. Any invertible mixing of the key and query spaces
    (:math:`W_K \to M W_K`, :math:`W_Q \to M^{-\top} W_Q`) leaves :math:`A` unchanged, and :math:`(cA, b / c)`
    gives the same layer for every :math:`c \ne 0`. We fix ``c`` so that the top-left block of ``A`` has mean
    diagonal 1, as in the construction. Returns ``(A[:, :d] / c, c * b)``, each in float64.
    """
    with torch.no_grad():
        A = (layer.W_K.T @ layer.W_Q).double()[:, :dim]
        b = (layer.P @ layer.W_V).double()[-1]
        c = torch.diagonal(A[:dim, :dim]).mean()
        return A / c, b * c


def construction_distance(layer, dim: int, n_context: int, eta: float) -> float:
    """Relative distance between a layer's aligned products (:func:`aligned_weights`) and the construction's.

    ``max(|A - A*|_F / |A*|_F, |b - b*| / |b*|)`` with the construction's :math:`A^* = [I_d; 0]` and
    :math:`b^* = (0, \\dots, 0, -\\eta / N)` at step size ``eta``.
    """
    A, b = aligned_weights(layer, dim)
    W_Q, W_K, W_V, P = gd_construction(dim, n_context, eta)
    A_star, b_star = (W_K.T @ W_Q)[:, :dim], (P @ W_V)[-1]
    return max(float(torch.linalg.norm(A - A_star) / torch.linalg.norm(A_star)),
               float(torch.linalg.norm(b - b_star) / torch.linalg.norm(b_star)))
