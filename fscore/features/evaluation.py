"""The paper's evaluation protocol for selected features: retrain the MLP on each subset, report test accuracy.

Yasuda et al. (ICLR 2023, Sec. 4): select ``k`` features, train the same MLP again from scratch on those features
only, and report its test accuracy (:func:`evaluate_subsets`). Many subsets train side by side as copies of one
:class:`fscore.nn.MLP`.
"""
from __future__ import annotations

import numpy as np
import torch

from fscore.nn import MLP, encode_labels, predict, train, zscore_stats


def fit_subsets(X, y, subsets, *, hidden=(67,), epochs=20, batch_size=128, lr=1e-3, seed=0, device="cpu",
                desc=None):
    """Train one fresh MLP per feature subset (all of the same size), side by side.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Training data; each copy sees its subset's columns, z-scored with the training statistics.
    y : ndarray of shape (n,)
        Integer class codes ``0..C-1`` (:func:`fscore.nn.encode_labels`).
    subsets : sequence of sequences of int
        ``M`` feature subsets, all of the same, non-zero size.
    hidden, epochs, batch_size, lr, seed, device
        The MLP and its training (:class:`fscore.nn.MLP`, :func:`fscore.nn.train`); ``seed`` fixes the
        initialisation of every copy and the batch order.
    desc : str, optional
        A progress bar's label.

    Returns
    -------
    model : fscore.nn.MLP
        The ``M`` trained copies.
    select : callable
        ``select(A)`` turns a data matrix into the copies' standardised ``(M, n, k)`` inputs.
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

    Yasuda et al. (ICLR 2023, Sec. 4): select, then train the same MLP again from scratch on the selected
    features only and report its test accuracy. Subsets of different sizes are trained in one batch per size.

    Parameters
    ----------
    X_train, y_train : array-like of shape (n, d) and (n,)
        Training data and labels (any labels; they are encoded here).
    X_test, y_test : array-like of shape (m, d) and (m,)
        Test data; every test label must occur in ``y_train``.
    subsets : sequence of sequences of int
        Feature subsets, each of distinct indices in ``[0, d)``; sizes may differ.
    return_correct : bool, default=False
        Also return which test examples each retrained network classifies correctly (for paired comparisons,
        :func:`fscore.stats.paired_difference`).
    **training
        Passed to :func:`fit_subsets`: ``hidden``, ``epochs``, ``batch_size``, ``lr``, ``seed``, ``device``.

    Returns
    -------
    accuracy : ndarray of shape (len(subsets),)
    correct : ndarray of bool, shape (len(subsets), m)
        Only with ``return_correct=True``.

    Raises
    ------
    ValueError
        For an empty list, a subset that is empty, out of range or repeats an index, or test labels unseen in
        training.
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
    """Test accuracy of the MLP retrained on ``features`` only (Yasuda et al., ICLR 2023, Sec. 4).

    Parameters
    ----------
    X_train, y_train, X_test, y_test
        As :func:`evaluate_subsets`.
    features : sequence of int
        One feature subset.
    **training
        As :func:`evaluate_subsets`.

    Returns
    -------
    float
    """
    return float(evaluate_subsets(X_train, y_train, X_test, y_test, [features], **training)[0])

