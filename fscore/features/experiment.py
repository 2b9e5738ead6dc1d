"""Chapter 2's experiment harness: the paper's table, on Fashion-MNIST and on stand-ins for the other data sets.

Yasuda et al. (ICLR 2023, Sec. 4 and Table 2) select ``k`` features with each method, train the same MLP again
from scratch on those features alone, and report its test accuracy, averaged over seeds. This module holds the
parts of that protocol that are bookkeeping rather than method:

* :func:`load_data` — a training and test split of each data set the chapter uses (constant training columns
  dropped), :class:`StandIn` — a data set with its selection budget and seeds;
* :func:`filter_scores` — scikit-learn's filters and :math:`\\ell_1` logistic regression, each a score per feature;
* :class:`Protocol` — the shared settings and :meth:`Protocol.compare`, which runs every method on one data set
  with every seed and retrains every selection (:func:`fscore.features.evaluation.evaluate_subsets`).

The methods themselves live in their families' modules (:mod:`~fscore.features.attention`,
:mod:`~fscore.features.omp`, :mod:`~fscore.features.lasso`, :mod:`~fscore.features.baselines`).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import f_classif, mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from fscore.datasets import load_dna, load_fashion_mnist, load_khan, load_musk, make_madelon
from fscore.features.attention import OneShotAttentionNet, SequentialAttentionNet
from fscore.features.baselines import RandomSubset
from fscore.features.evaluation import evaluate_subsets
from fscore.features.lasso import GroupLassoNet, SequentialLassoNet
from fscore.features.omp import OMPNet
from fscore.progress import progress

#: The data sets :func:`load_data` knows, and how each is split.
DATA_SETS = {
    "Fashion-MNIST": "the official training and test images; n_train / n_test draw stratified subsets",
    "DNA": "StatLog DNA (3,186 x 180), 70/30 stratified split",
    "musk": "musk version 1 (476 x 166), 70/30 stratified split",
    "Khan": "Khan gene expression (83 x 2,308), the split it ships with (63 / 20)",
    "Madelon": "Guyon's Madelon generator, 6,000 examples, 2,000 of them for training",
}

#: The methods of the chapter's table, in its order: six network-based selectors, three filters, random.
NEURAL_METHODS = ("SA (paper)", "SA (official)", "one-shot attention (LLY)", "Sequential LASSO", "Group LASSO",
                  "neural OMP")
FILTER_METHODS = ("mutual information", "ANOVA F", "ℓ1 logistic")
METHODS = (*NEURAL_METHODS, *FILTER_METHODS, "random")


@dataclass(frozen=True)
class Split:
    """One training/test split of a data set, constant training columns dropped.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n_train, d_kept) and (n_test, d_kept)
    y_train, y_test : ndarray
    keep : ndarray of int
        The original column of each kept feature (``X_train[:, j]`` is column ``keep[j]`` of the data set).
    n_features : int
        The number of features before the constant ones were dropped.
    relevant : ndarray of int or None
        Madelon only: the original columns that carry the signal (informative or redundant).
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    keep: np.ndarray
    n_features: int
    relevant: np.ndarray | None = None


def load_data(name: str, split: int = 0, n_train: int | None = None, n_test: int | None = None) -> Split:
    """A training and test split of one of the chapter's data sets (:data:`DATA_SETS`).

    Parameters
    ----------
    name : {"Fashion-MNIST", "DNA", "musk", "Khan", "Madelon"}
    split : int, default=0
        Seeds the split (and Fashion-MNIST's subsets, Madelon's generator); Khan ships its own split.
    n_train, n_test : int, optional
        Fashion-MNIST only: draw class-stratified subsets of the official training and test images (``None``:
        all 60,000 and 10,000).

    Returns
    -------
    Split
        With every column that is constant on the training set dropped (``Split.keep`` maps back).

    Raises
    ------
    ValueError
        For an unknown name, or subset sizes given for a data set other than Fashion-MNIST.
    """
    if name not in DATA_SETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATA_SETS)}")
    if name != "Fashion-MNIST" and (n_train is not None or n_test is not None):
        raise ValueError(f"n_train and n_test apply to Fashion-MNIST only, not to {name}")
    relevant = None
    if name == "Fashion-MNIST":
        X_train, y_train = load_fashion_mnist("train", n=n_train, random_state=split)
        X_test, y_test = load_fashion_mnist("test", n=n_test, random_state=split)
    elif name == "Khan":
        (X_train, y_train), (X_test, y_test) = load_khan("train"), load_khan("test")
    elif name == "Madelon":
        X, y, relevant = make_madelon(n_samples=6000, random_state=split)
        X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=2000, stratify=y, random_state=split)
    else:
        X, y = {"DNA": load_dna, "musk": load_musk}[name]()
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=split)
    keep = np.flatnonzero(np.ptp(X_train, axis=0) > 0)
    return Split(X_train[:, keep], X_test[:, keep], y_train, y_test, keep, X_train.shape[1], relevant)


@dataclass(frozen=True)
class StandIn:
    """One data set of the chapter's table, with its selection budget and seeds.

    Parameters
    ----------
    name : str
        A name :func:`load_data` knows.
    k : int
        Features to select.
    select_epochs, fit_epochs : int
        Training epochs of the selectors and of the MLP retrained on each selection.
    batch_size : int
        Mini-batch size of both.
    seeds : sequence of int
        Each seed re-runs every selector and the retraining.
    stands_in : str, default=""
        Which of the paper's data sets it stands in for (shown in the chapter's table).
    discrete : bool, default=False
        Integer-coded features (pixel intensities, 0/1 indicators): mutual information uses the plug-in
        estimator for discrete features.
    resplit : bool, default=False
        Draw a fresh train/test split for every seed (small data sets, whose test accuracy on a single split
        carries more sampling error than the differences between methods).
    n_train, n_test : int, optional
        Passed to :func:`load_data` (Fashion-MNIST's subset sizes).
    """

    name: str
    k: int
    select_epochs: int
    fit_epochs: int
    batch_size: int
    seeds: tuple = ()
    stands_in: str = ""
    discrete: bool = False
    resplit: bool = False
    n_train: int | None = None
    n_test: int | None = None

    def load(self, split: int = 0) -> Split:
        """:func:`load_data` for this data set."""
        return load_data(self.name, split, n_train=self.n_train, n_test=self.n_test)


def filter_scores(X, y, discrete: bool = False, seed: int = 0, l1_C: float = 0.05, l1_max_iter: int = 30) -> dict:
    """Scikit-learn's scores per feature (larger is better) and the seconds each took.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Class labels.
    discrete : bool, default=False
        Whether the columns are integer codes: mutual information then uses the plug-in estimator on each
        column's distinct values (scikit-learn's ``discrete_features=True``).
    seed : int, default=0
        ``random_state`` of the mutual-information estimator and of the logistic regression's solver.
    l1_C : float, default=0.05
        Inverse strength of the :math:`\\ell_1` penalty of the multinomial logistic regression, fitted on
        standardised columns.
    l1_max_iter : int, default=30
        A fixed iteration budget for SAGA (the ranking, not the optimum, is what is used; its convergence
        warning is silenced).

    Returns
    -------
    dict
        ``{"mutual information": (scores, seconds), "ANOVA F": ..., "ℓ1 logistic": ...}``; the logistic score of
        feature ``j`` is the norm of its coefficients across classes, :math:`\\lVert \\beta_j \\rVert_2`.
    """
    out = {}
    started = time.perf_counter()
    if discrete:  # integer codes per column (pixel intensities, 0/1 indicators): the plug-in estimator
        X_mi = np.column_stack([np.unique(column, return_inverse=True)[1] for column in X.T])
    out["mutual information"] = (mutual_info_classif(X_mi if discrete else X, y, discrete_features=discrete,
                                                     random_state=seed), time.perf_counter() - started)
    started = time.perf_counter()
    out["ANOVA F"] = (np.nan_to_num(f_classif(X, y)[0]), time.perf_counter() - started)
    started = time.perf_counter()
    with warnings.catch_warnings():  # a fixed iteration budget: the ranking, not the optimum, is what we use
        warnings.simplefilter("ignore", ConvergenceWarning)
        l1 = LogisticRegression(l1_ratio=1.0, solver="saga", C=l1_C, max_iter=l1_max_iter, tol=1e-3,
                                random_state=seed).fit(StandardScaler().fit_transform(X), y)
    out["ℓ1 logistic"] = (np.linalg.norm(l1.coef_, axis=0), time.perf_counter() - started)
    return out


@dataclass
class Comparison:
    """What :meth:`Protocol.compare` returns for one data set.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per method, seed and size ``k``: ``dataset, method, seed, split, k, seconds, accuracy, correct``
        (``correct``: which test examples the retrained MLP classifies correctly, for paired comparisons;
        ``seconds``: the time to select, for filters once per split).
    fitted : dict
        Method name -> its fitted selectors, one per seed in seed order (network-based methods only).
    splits : dict
        Split seed -> the :class:`Split` the runs of that seed used.
    """

    results: pd.DataFrame
    fitted: dict
    splits: dict


@dataclass
class Protocol:
    """The chapter's select-then-retrain protocol (Yasuda et al., ICLR 2023, Sec. 4) and its shared settings.

    Parameters
    ----------
    hidden : tuple of int, default=(67,)
        Hidden layers of the MLP that every selector trains and every selection is retrained with (the
        official code's one layer of 67 units).
    attention_lr : float, default=0.1
        Adam learning rate of Sequential Attention's logits
        (:class:`~fscore.features.attention.SequentialAttentionNet`).
    n_random : int, default=5
        Random subsets drawn per seed.
    l1_C, l1_max_iter : float and int
        The :math:`\\ell_1` logistic regression's settings (:func:`filter_scores`).
    split : int, default=0
        The fixed split's seed (a data set with ``resplit`` uses each run's seed instead); also the seed of the
        filters and of the retraining.
    divisors : tuple of int, default=(5, 2, 1)
        Each selection is retrained at the sizes ``max(1, k // q)``: its first picks, for the accuracy-vs-k
        curves.
    device : str or torch.device, optional
        Where the retraining runs (the selectors use :func:`fscore.runtime.default_device`).
    """

    hidden: tuple = (67,)
    attention_lr: float = 0.1
    n_random: int = 5
    l1_C: float = 0.05
    l1_max_iter: int = 30
    split: int = 0
    divisors: tuple = (5, 2, 1)
    device: object = None

    def sizes(self, k: int) -> list[int]:
        """The selection sizes at which every selection is retrained, ascending."""
        return sorted({max(1, k // q) for q in self.divisors})

    def selectors(self, stand_in: StandIn, seed: int) -> dict:
        """The six network-based selectors of the table (:data:`NEURAL_METHODS`), unfitted, for one seed."""
        common = dict(k=stand_in.k, hidden=self.hidden, epochs=stand_in.select_epochs,
                      batch_size=stand_in.batch_size, random_state=seed)
        return {
            "SA (paper)": SequentialAttentionNet(schedule="paper", attention_lr=self.attention_lr, **common),
            "SA (official)": SequentialAttentionNet(schedule="official", attention_lr=self.attention_lr, **common),
            "one-shot attention (LLY)": OneShotAttentionNet(**common),
            "Sequential LASSO": SequentialLassoNet(**common),
            "Group LASSO": GroupLassoNet(**common),
            "neural OMP": OMPNet(**common),
        }

    def compare(self, stand_in: StandIn, data: Split | None = None) -> Comparison:
        """Every method of the table on one data set: selection times and retrained test accuracies.

        For each seed (in order): the six network-based selectors are fitted, the filters' rankings (computed
        once per split) are taken, and ``n_random`` random subsets drawn (seed ``1000 * seed + draw``). Then, for
        each split, every selection is retrained at every size of :meth:`sizes`, side by side, and scored on
        the split's test set (:func:`~fscore.features.evaluation.evaluate_subsets`, seed :attr:`split`).

        Parameters
        ----------
        stand_in : StandIn
        data : Split, optional
            The fixed split (seed :attr:`split`), when it is already loaded.

        Returns
        -------
        Comparison
        """
        sizes, rows, fitted, splits, filters = self.sizes(stand_in.k), [], {}, {}, {}
        for seed in progress(stand_in.seeds, desc=stand_in.name):
            split = seed if stand_in.resplit else self.split
            if split not in splits:
                splits[split] = (data if data is not None and split == self.split else stand_in.load(split))
                filters[split] = filter_scores(splits[split].X_train, splits[split].y_train, stand_in.discrete,
                                               self.split, self.l1_C, self.l1_max_iter)
            X_train, y_train = splits[split].X_train, splits[split].y_train
            for method, selector in self.selectors(stand_in, seed).items():
                started = time.perf_counter()
                selector.fit(X_train, y_train)
                rows.append(dict(method=method, seed=seed, split=split, seconds=time.perf_counter() - started,
                                 ranking=selector.ranking_))
                fitted.setdefault(method, []).append(selector)
            for method, (scores, seconds) in filters[split].items():
                rows.append(dict(method=method, seed=seed, split=split, seconds=seconds,
                                 ranking=np.argsort(-scores, kind="stable")[:stand_in.k]))
            for draw in range(self.n_random):
                ranking = RandomSubset(k=stand_in.k, random_state=1000 * seed + draw).fit(X_train, y_train).ranking_
                rows.append(dict(method="random", seed=seed, split=split, seconds=0.0, ranking=ranking))
        records = []
        for split, data_split in splits.items():  # retrain every selection of a split side by side, at every size
            members = [row for row in rows if row["split"] == split]
            subsets = [row["ranking"][:size] for row in members for size in sizes]
            accuracy, correct = evaluate_subsets(data_split.X_train, data_split.y_train, data_split.X_test,
                                                 data_split.y_test, subsets, hidden=self.hidden,
                                                 epochs=stand_in.fit_epochs, batch_size=stand_in.batch_size,
                                                 seed=self.split, device=self.device, return_correct=True)
            records += [dict(dataset=stand_in.name, method=row["method"], seed=row["seed"], split=split, k=size,
                             seconds=row["seconds"], accuracy=accuracy[i * len(sizes) + j],
                             correct=correct[i * len(sizes) + j])
                        for i, row in enumerate(members) for j, size in enumerate(sizes)]
        return Comparison(pd.DataFrame(records), fitted, splits)


def at_k(results: pd.DataFrame, k: int) -> pd.DataFrame:
    """Test accuracy at size ``k``: one row a method, one column a seed (random subsets: the mean of the draws).

    Parameters
    ----------
    results : pandas.DataFrame
        :attr:`Comparison.results`.
    k : int
        One of the sizes the selections were retrained at.

    Returns
    -------
    pandas.DataFrame
        Methods by seeds.

    Raises
    ------
    ValueError
        If no selection was retrained at size ``k``.
    """
    frame = results[results.k == k]
    if frame.empty:
        raise ValueError(f"no results at k={k}; the sizes retrained are {sorted(results.k.unique())}")
    return frame.groupby(["method", "seed"]).accuracy.mean().unstack("seed")


def correct_matrix(results: pd.DataFrame, method: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Which test examples each seed's retrained MLP gets right for ``method`` at size ``k``, and each run's split.

    Parameters
    ----------
    results : pandas.DataFrame
        :attr:`Comparison.results`.
    method : str
        A method with one run a seed (random subsets, several draws a seed, are refused).
    k : int
        The selection size.

    Returns
    -------
    correct : ndarray of bool, shape (n_seeds, n_test)
        One row a seed, in seed order.
    splits : ndarray of shape (n_seeds,)
        The split of each row: ready for :func:`fscore.stats.paired_difference` with ``groups=splits``.

    Raises
    ------
    ValueError
        If there are no results for ``method`` at ``k``, or several runs a seed.
    """
    frame = results[(results.method == method) & (results.k == k)].sort_values("seed", kind="stable")
    if frame.empty:
        raise ValueError(f"no results for {method!r} at k={k}")
    if frame.seed.duplicated().any():
        raise ValueError(f"{method!r} has several runs a seed (random subsets?): not one row per seed")
    return np.stack(frame.correct.to_list()), frame.split.to_numpy()
