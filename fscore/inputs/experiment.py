"""Chapter 14's harness: train the small CNN (cross-entropy or HVCM), read its features, score every input set.

The networks are :class:`fscore.nn.SmallCNN` trained by :func:`fscore.nn.fit_classifier` (the book's shared model
and loop); the scores are those of :mod:`fscore.inputs.ood`, all fitted on the same training features; the
metrics are :func:`fscore.inputs.metrics.ood_metrics` with the in-distribution test images as positives.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from fscore.inputs.hvcm import HVCMNet, class_group_weights, hvcm_loss
from fscore.inputs.metrics import ood_metrics
from fscore.inputs.ood import (ClassMixtureScore, GroupedGaussianScore, KNNScore, MahalanobisScore, energy,
                               max_softmax)
from fscore.nn import SmallCNN, batched, fit_classifier


def train_ce(X: torch.Tensor, y: torch.Tensor, n_classes: int, *, seed: int, epochs: int, batch_size: int = 128,
             lr: float = 2e-3, widths=(16, 32), embed_dim: int = 64, desc: str | None = None) -> SmallCNN:
    """A :class:`SmallCNN` with a linear head, trained with cross-entropy (initialisation and batches from ``seed``)."""
    torch.manual_seed(int(seed))
    model = SmallCNN(widths=widths, embed_dim=embed_dim, n_out=n_classes)
    fit_classifier(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, desc=desc)
    return model


def train_hvcm(X: torch.Tensor, y: torch.Tensor, n_classes: int, *, seed: int, epochs: int, batch_size: int = 128,
               lr: float = 2e-3, n_groups: int = 8, group_dim: int = 8, widths=(16, 32), embed_dim: int = 64,
               desc: str | None = None) -> tuple[HVCMNet, np.ndarray]:
    """The same backbone with the HVCM head, trained with the HVCM loss; returns it and the class group weights."""
    model = HVCMNet(n_classes, n_groups=n_groups, group_dim=group_dim, widths=widths, embed_dim=embed_dim, seed=seed)
    fit_classifier(model, X, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, desc=desc,
                   loss_fn=hvcm_loss)
    return model, class_group_weights(model, X, y, n_classes).numpy()


@torch.no_grad()
def read_out(model, X: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Features and logits (or, for :class:`HVCMNet`, attributes and centre similarities) as float64 arrays."""
    model.eval()
    feats = model.attributes if isinstance(model, HVCMNet) else model.embed
    Z = batched(feats, X)
    logits = batched(model, X)
    return Z.double().numpy(), logits.double().numpy()


def accuracy(logits: np.ndarray, y) -> float:
    return float((logits.argmax(1) == np.asarray(y)).mean())


def fit_scores(Z: np.ndarray, y, n_classes: int, *, components=(1, 2, 3), n_groups: int = 8, knn_k: int = 50,
               reg: float = 1e-3, seed: int = 0, group_weights=None) -> dict:
    """Every feature score of the chapter fitted on the same training features ``Z``: a dict name -> scorer."""
    y = np.asarray(y)
    scorers = {"Mahalanobis (shared)": MahalanobisScore(reg).fit(Z, y, n_classes),
               f"kNN (k={knn_k})": KNNScore(knn_k).fit(Z)}
    for K in components:
        name = "Gaussian per class" if K == 1 else f"mixture K={K}"
        scorers[name] = ClassMixtureScore(K, reg=reg, random_state=seed).fit(Z, y, n_classes)
    scorers["grouped (HVCM score)"] = GroupedGaussianScore(n_groups, reg).fit(Z, y, n_classes, weights=group_weights)
    return scorers


def score_sets(scorers: dict, readouts: dict) -> dict:
    """``{set name: {score name: scores}}`` for ``readouts`` = ``{set name: (Z, logits)}``; logits give MSP and energy."""
    out = {}
    for name, (Z, logits) in readouts.items():
        out[name] = {"max softmax": max_softmax(logits), "energy": energy(logits)} if logits is not None else {}
        out[name].update({s: scorer.score(Z) for s, scorer in scorers.items()})
    return out


def metrics_table(scores: dict, inside: str = "test_in") -> pd.DataFrame:
    """One row per (OOD set, score): AUROC, AUPR-In, AUPR-Out, FPR@95TPR against the ``inside`` set."""
    rows = []
    for set_name, by_score in scores.items():
        if set_name == inside:
            continue
        for score_name, s_out in by_score.items():
            rows.append({"set": set_name, "score": score_name,
                         **ood_metrics(scores[inside][score_name], s_out)})
    return pd.DataFrame(rows)
