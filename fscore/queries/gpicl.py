"""General-purpose in-context learning (GPICL): tasks made from one image data set, and a meta-trained transformer.

Kirsch, Harrison, Sohl-Dickstein, Schmidhuber & Metz, *General-Purpose In-Context Learning by Meta-Learning
Transformers*, arXiv:2212.04458. A task is the data set seen through a random linear map of its inputs and a
random permutation of its labels: task :math:`\\xi` turns :math:`(x, c)` into :math:`(R_\\xi x, \\psi_\\xi(c))`
with :math:`(R_\\xi)_{jk} \\sim \\mathcal{N}(0, 1/d)`. A sequence model reads
:math:`(x_1, c_1), (x_2, c_2), \\dots` and predicts each :math:`c_t` from :math:`x_t` and the pairs before it;
the token at position ``t`` is :math:`x_t` next to the one-hot *previous* label :math:`c_{t-1}` (zeros at ``t = 1``).
With ``pair_tokens=True`` the token also repeats the previous input :math:`x_{t-1}`, so that the pair
:math:`(x_{t-1}, c_{t-1})` sits in one token: a causal model sees nothing it could not read from the token before,
but it no longer has to learn to attend to the previous position before it can bind an input to its label (the
CPU-scale runs of Chapter 17 use it; the paper's tokens are the default).
Meta-training draws tasks from a finite set of ``n_tasks`` (or a fresh task every sequence); meta-testing
uses tasks never seen and images held out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fscore.progress import progress

#: task ids of unseen tasks start here, far above any training set of tasks (training ids are 0..n_tasks-1)
UNSEEN_OFFSET = 2 ** 40


@dataclass
class TaskFamily:
    """The images and labels that every task re-projects and relabels.

    ``X`` is ``(n, d)`` (standardised inside), ``y`` holds ``n_classes`` integer classes ``0..C-1``;
    ``seed`` fixes every task's projection and permutation (task ``t`` is the same in every run);
    ``pair_tokens`` adds the previous input to each token (see the module's docstring).
    """

    X: np.ndarray
    y: np.ndarray
    seed: int = 0
    pair_tokens: bool = False

    def __post_init__(self):
        X, y = np.asarray(self.X, dtype=np.float64), np.asarray(self.y)
        if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
            raise ValueError(f"X must be a 2-D array with at least two rows, got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got shape {y.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values")
        classes = np.unique(y)
        if classes.size < 2 or not np.array_equal(classes, np.arange(classes.size)):
            raise ValueError(f"y must hold integer classes 0..C-1 with C >= 2, got {classes[:10]}")
        std = X.std(axis=0)
        self._X = torch.as_tensor((X - X.mean(axis=0)) / np.where(std > 0, std, 1.0), dtype=torch.float32)
        self._y = torch.as_tensor(y, dtype=torch.long)
        self.n_classes, self.dim = int(classes.size), X.shape[1]

    @property
    def n_in(self) -> int:
        """Token size: a projected input next to a one-hot label (and the previous input with ``pair_tokens``)."""
        return self.dim * (2 if self.pair_tokens else 1) + self.n_classes

    def task(self, task_id: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Task ``task_id``'s projection ``(d, d)``, entries N(0, 1/d), and label permutation ``(C,)``."""
        g = torch.Generator().manual_seed(int(self.seed) * 1_000_003 + int(task_id))
        A = torch.randn(self.dim, self.dim, generator=g) / math.sqrt(self.dim)
        return A, torch.randperm(self.n_classes, generator=g)

    def sequences(self, task_ids, length: int, generator: torch.Generator, rows=None):
        """One sequence of ``length`` examples per task id: ``(tokens (B, T, n_in), labels (B, T))``.

        ``rows`` restricts the examples to those rows of the data (a training or held-out split).
        """
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
            raise ValueError(f"length must be a positive integer, got {length!r}")
        rows = torch.arange(self._y.numel()) if rows is None else torch.as_tensor(rows, dtype=torch.long)
        if rows.numel() < 1:
            raise ValueError("rows selects no examples")
        task_ids = [int(t) for t in task_ids]
        picks = rows[torch.randint(rows.numel(), (len(task_ids), length), generator=generator)]
        projections, permutations = zip(*(self.task(t) for t in task_ids))
        x = torch.bmm(self._X[picks], torch.stack(projections).transpose(1, 2))        # (B, T, d): A x
        labels = torch.gather(torch.stack(permutations), 1, self._y[picks])            # pi(c)
        previous = nn.functional.one_hot(labels[:, :-1], self.n_classes).float()
        parts = [x, torch.cat([torch.zeros_like(previous[:, :1]), previous], dim=1)]
        if self.pair_tokens:
            parts.append(torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1))
        return torch.cat(parts, dim=-1), labels


def draw_tasks(n_tasks: int | None, batch: int, generator: torch.Generator) -> torch.Tensor:
    """Task ids of a meta-training batch: uniform over ``0..n_tasks-1``, or all distinct and fresh if ``None``."""
    if n_tasks is None:
        return torch.randint(0, 2 ** 62, (batch,), generator=generator)
    if isinstance(n_tasks, bool) or not isinstance(n_tasks, (int, np.integer)) or n_tasks < 1:
        raise ValueError(f"n_tasks must be a positive integer or None (a fresh task per sequence), got {n_tasks!r}")
    return torch.randint(0, int(n_tasks), (batch,), generator=generator)


def meta_train(model: nn.Module, family: TaskFamily, n_tasks: int | None, *, steps: int, batch_size: int,
               length: int, lr: float = 1e-3, seed: int = 0, rows=None, device=None,
               desc: str | None = None) -> np.ndarray:
    """Meta-train ``model`` on sequences from ``n_tasks`` tasks: Adam on the mean next-label cross-entropy.

    Every step draws ``batch_size`` task ids (:func:`draw_tasks`) and one sequence of ``length`` examples
    each from ``rows``; the loss averages over every position of every sequence. Sequences are drawn on the CPU
    (seeded) and moved to ``device`` (default: where the model's parameters are). Returns the loss of each step.
    """
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    generator = torch.Generator().manual_seed(int(seed))
    device = device or next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    model.train()
    for step in progress(range(steps), desc=desc) if desc else range(steps):
        tokens, labels = family.sequences(draw_tasks(n_tasks, batch_size, generator), length, generator, rows)
        tokens, labels = tokens.to(device), labels.to(device)
        logits = model(tokens)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses[step] = float(loss.detach())
    model.eval()
    return losses


@torch.no_grad()
def accuracy_by_position(model: nn.Module, family: TaskFamily, task_ids, length: int, generator: torch.Generator,
                         rows=None, batch_size: int = 256) -> np.ndarray:
    """Accuracy of the next-label prediction at each position, averaged over one sequence per task id, ``(T,)``."""
    task_ids = [int(t) for t in task_ids]
    device = next(model.parameters()).device
    correct = torch.zeros(length)
    for start in range(0, len(task_ids), batch_size):
        tokens, labels = family.sequences(task_ids[start:start + batch_size], length, generator, rows)
        correct += (model(tokens.to(device)).argmax(-1).cpu() == labels).float().sum(0)
    return (correct / len(task_ids)).numpy()


def plateau_length(losses, level: float, window: int = 25) -> int:
    """First step at which the running mean (over ``window`` steps) of the loss falls below ``level``.

    ``len(losses)`` when it never does: the plateau lasted the whole run.
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or losses.size < window:
        raise ValueError(f"need a 1-D loss history of at least window={window} steps")
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    below = np.flatnonzero(smooth < level)
    return int(below[0] + window - 1) if below.size else int(losses.size)


def meta_train_and_evaluate(family: TaskFamily, n_tasks: int | None, seed: int, model_kwargs: dict, *, steps: int,
                            batch_size: int, length: int, lr: float, train_rows, test_rows, n_eval: int = 512,
                            device="cpu", desc: str | None = None) -> dict:
    """One point of the task-count sweep: a fresh :class:`~fscore.nn.transformer.CausalTransformer` meta-trained
    on ``n_tasks`` tasks (images ``train_rows``), then scored on seen and unseen tasks.

    *Seen*: ``n_eval`` sequences of training tasks on the training images (the sequences themselves are new draws);
    with ``n_tasks=None`` every training task was fresh, so these are new tasks on training images. *Unseen*:
    ``n_eval`` tasks never trained on (ids from :data:`UNSEEN_OFFSET`) on the held-out images ``test_rows``.
    Returns ``losses`` (per step) and ``seen`` and ``unseen`` accuracy by position, ``(length,)`` each.
    """
    from fscore.nn.transformer import CausalTransformer

    model = CausalTransformer(family.n_in, family.n_classes, max_len=length, seed=seed, **model_kwargs).to(device)
    losses = meta_train(model, family, n_tasks, steps=steps, batch_size=batch_size, length=length, lr=lr,
                        seed=seed, rows=train_rows, device=device, desc=desc)
    g = torch.Generator().manual_seed(10_000 + int(seed))
    seen_ids = draw_tasks(n_tasks, n_eval, g).tolist()
    seen = accuracy_by_position(model, family, seen_ids, length, g, rows=train_rows)
    unseen = accuracy_by_position(model, family, range(UNSEEN_OFFSET, UNSEEN_OFFSET + n_eval), length, g,
                                  rows=test_rows)
    return {"losses": losses, "seen": seen, "unseen": unseen}


def transition_point(task_counts, unseen_accuracy, level: float) -> float:
    """The smallest number of training tasks whose unseen-task accuracy reaches ``level`` (``inf`` for a fresh
    task per sequence, ``nan`` if none does). ``task_counts`` may hold ``None`` for the fresh-task runs."""
    counts = np.array([np.inf if c is None else float(c) for c in task_counts])
    accuracy = np.asarray(unseen_accuracy, dtype=float)
    if counts.shape != accuracy.shape:
        raise ValueError("task_counts and unseen_accuracy must have the same length")
    reached = counts[accuracy >= level]
    return float(reached.min()) if reached.size else float("nan")
