"""Chapter 15's experiment: a grid of self-supervised runs, each scored by RankMe and by a linear probe.

Garrido et al. (ICML 2023, Sec. 5 and Fig. 4) select a joint-embedding method's hyperparameters by RankMe alone
and compare with the usual selection by a linear probe on labelled data (the *oracle*). Here each run of a grid
(:class:`SSLRun`) trains a :class:`fscore.nn.JointEmbedding` on unlabelled images (:class:`SSLTask`), then
records the spectrum scores of :mod:`fscore.inputs.rankme` on the backbone's representations and on the
projector's embeddings of a fixed set of training images, and the probe's held-out accuracy
(:func:`linear_probe_accuracy`). :func:`select` picks a run per method by a column; :func:`run_grid` runs the
grid, in parallel worker processes on a CPU.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from fscore.inputs.rankme import spectrum_scores
from fscore.nn import JointEmbedding, MLPBackbone, SmallCNN, batched
from fscore.nn.ssl import ImageAugment, ssl_loss, train_ssl
from fscore.progress import progress

COLLAPSE_KINDS = ("none", "complete", "dimensional")


@dataclass(frozen=True)
class SSLRun:
    """One point of the hyperparameter grid.

    ``method`` is ``"simclr"`` (uses ``temperature``) or ``"vicreg"`` (uses the weights ``invariance``,
    ``variance``, ``covariance``); ``width`` is the projector's width, ``lr`` Adam's learning rate. ``collapse``
    is what the setting is *expected* to do, declared before training from the literature: ``"complete"``
    (VICReg without its variance term) or ``"dimensional"`` (VICReg without its covariance term), else ``"none"``.
    """

    method: str
    lr: float
    width: int
    temperature: float = 0.5
    invariance: float = 25.0
    variance: float = 25.0
    covariance: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.method not in ("simclr", "vicreg"):
            raise ValueError(f"method must be 'simclr' or 'vicreg', got {self.method!r}")

    @property
    def loss_params(self) -> dict:
        if self.method == "simclr":
            return {"temperature": self.temperature}
        return {"invariance": self.invariance, "variance": self.variance, "covariance": self.covariance}

    @property
    def collapse(self) -> str:
        if self.method == "vicreg" and self.variance == 0:
            return "complete"
        if self.method == "vicreg" and self.covariance == 0:
            return "dimensional"
        return "none"

    @property
    def setting(self) -> str:
        """The loss's hyperparameters as a short label (``T=0.1`` for SimCLR's temperature, ``25/25/1``)."""
        if self.method == "simclr":
            return f"T={self.temperature:g}"
        return f"{self.invariance:g}/{self.variance:g}/{self.covariance:g}"


@dataclass
class SSLTask:
    """Images, labels and the training budget shared by every run of a grid.

    ``train_images`` (unlabelled for the self-supervised runs) and ``test_images`` are ``(n, 1, H, W)`` float
    arrays; the probe fits on the training images' labels and is scored on the test images. ``backbone`` is
    ``"mlp"`` (:class:`fscore.nn.MLPBackbone` with ``hidden``) or ``"cnn"`` (:class:`fscore.nn.SmallCNN` with
    ``cnn_widths``), both ending in ``embed_dim`` ReLU features. The spectrum scores read the first ``n_rank``
    training images.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    backbone: str = "mlp"
    embed_dim: int = 64
    hidden: tuple = (256,)
    cnn_widths: tuple = (8, 16)
    epochs: int = 20
    batch_size: int = 128
    n_rank: int | None = None
    augment: ImageAugment = field(default_factory=ImageAugment)

    def __post_init__(self):
        for name in ("train_images", "test_images"):
            images = getattr(self, name)
            if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
                raise ValueError(f"{name} must be square grey images (n, 1, H, H), got {images.shape}")
        if len(self.train_images) != len(self.train_labels) or len(self.test_images) != len(self.test_labels):
            raise ValueError("images and labels must have the same number of rows")
        if self.backbone not in ("mlp", "cnn"):
            raise ValueError(f"backbone must be 'mlp' or 'cnn', got {self.backbone!r}")
        self.n_rank = self.n_rank or len(self.train_images)
        if not 1 <= self.n_rank <= len(self.train_images):
            raise ValueError(f"n_rank={self.n_rank} must lie in [1, {len(self.train_images)}]")

    def model(self, run: SSLRun) -> JointEmbedding:
        """A freshly initialised network for ``run`` (its seed fixes the initialisation)."""
        torch.manual_seed(run.seed)
        side = self.train_images.shape[-1]
        if self.backbone == "mlp":
            backbone = MLPBackbone(side * side, self.embed_dim, self.hidden, seed=run.seed)
        else:
            backbone = SmallCNN(1, side, self.cnn_widths, self.embed_dim)
        return JointEmbedding(backbone, self.embed_dim, run.width)


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels, C: float = 1.0) -> float:
    """Held-out accuracy of a multinomial logistic regression on standardised frozen features (the linear probe)."""
    scaler = StandardScaler().fit(train_features)
    probe = LogisticRegression(C=C, max_iter=2000).fit(scaler.transform(train_features), train_labels)
    return float(probe.score(scaler.transform(test_features), test_labels))


def evaluate(task: SSLTask, model: JointEmbedding) -> tuple[dict, dict]:
    """The probe's held-out accuracy and the spectrum scores of the backbone's and the projector's outputs.

    Returns a dict (``probe_accuracy``, ``backbone_rankme``, ``projector_rankme``, ... for every score of
    :func:`fscore.inputs.spectrum_scores`) and the singular values of both outputs (``backbone``, ``projector``).
    """
    device = next(model.parameters()).device
    model.eval()
    train = torch.as_tensor(task.train_images, dtype=torch.float32, device=device)
    test = torch.as_tensor(task.test_images, dtype=torch.float32, device=device)
    H_train, H_test = batched(model.represent, train), batched(model.represent, test)
    row = {"probe_accuracy": linear_probe_accuracy(H_train.cpu().numpy(), task.train_labels,
                                                   H_test.cpu().numpy(), task.test_labels)}
    spectra = {}
    for part, E in (("backbone", H_train[:task.n_rank]), ("projector", batched(model, train[:task.n_rank]))):
        scores = spectrum_scores(E)
        spectra[part] = scores.pop("singular_values")
        scores.pop("covariance_eigenvalues")
        row.update({f"{part}_{key}": value for key, value in scores.items()})
    return row, spectra


def run_one(task: SSLTask, run: SSLRun, device: str = "cpu") -> tuple[dict, dict]:
    """Train ``run`` on ``task``; return its row (settings, final loss, :func:`evaluate`'s scores) and spectra."""
    model = task.model(run).to(device)
    train = torch.as_tensor(task.train_images, dtype=torch.float32, device=device)
    history = train_ssl(model, train, ssl_loss(run.method, **run.loss_params), task.augment, epochs=task.epochs,
                        batch_size=task.batch_size, lr=run.lr, seed=run.seed)
    scores, spectra = evaluate(task, model)
    return {**asdict(run), "setting": run.setting, "collapse": run.collapse, "final_loss": history[-1],
            **scores}, spectra


def run_grid(task: SSLTask, runs, n_jobs: int | None = None, device: str = "cpu", desc: str | None = None):
    """Run every :class:`SSLRun` of ``runs``; return a DataFrame (one row a run) and the list of their spectra.

    On a CPU every run uses one torch thread, in ``n_jobs`` worker processes (default: one per core): the networks
    are small, and one thread a run is faster than several threads on one run. The numbers do not depend on
    ``n_jobs`` (each run seeds itself). On a GPU the runs go one after another in this process.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("the grid has no runs")
    n_jobs = 1 if device != "cpu" else (n_jobs or os.cpu_count() or 1)
    if device != "cpu":
        results = [run_one(task, run, device) for run in progress(runs, desc=desc)]
    elif n_jobs == 1:
        results = [_run_single_threaded(task, run) for run in progress(runs, desc=desc)]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_run_single_threaded)(task, run)
                                                                 for run in runs)
        results = list(progress(results, desc=desc, total=len(runs)))
    return pd.DataFrame([row for row, _ in results]), [spectra for _, spectra in results]


def _run_single_threaded(task: SSLTask, run: SSLRun):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run_one(task, run)
    finally:
        torch.set_num_threads(threads)


def select(table: pd.DataFrame, by: str, group: str = "method") -> pd.DataFrame:
    """The run with the largest ``by`` in each ``group`` (ties: the first in the table's order)."""
    if by not in table or group not in table:
        raise KeyError(f"the table has no column {by!r} or {group!r}")
    return table.loc[table.groupby(group, sort=True)[by].idxmax()].set_index(group)
