"""Chapter 16's harness: one problem, its difficulty classes, the baselines, and the two learned policies.

:func:`prepare` draws the candidate instances of each difficulty class; :func:`train_pair` trains, from one seed, a
policy network on the prior for ``2 n`` updates and a robust one that shares its first ``n`` updates and then
trains ``n`` more against the adversary (:func:`fscore.queries.robust.train_robust`), so that both have seen the
same number of updates; :func:`scoreboard` evaluates every policy on every candidate with common random numbers and
summarises each by its worst-case error per class, its average error and its worst regret (the robust objective).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fscore.queries.policies import PolicyNetwork
from fscore.queries.problems import Instances
from fscore.queries.robust import (TrainingLog, candidates_per_class, class_edges, evaluate, robust_objective,
                                   train_on_prior, train_robust, worst_case_by_class)


@dataclass
class Setup:
    """A problem with its prior (``prior``: the keyword arguments of its sampler), the class levels ``edges``, and
    ``n_per_class`` candidates of every class drawn with the sampler's arguments ``levels``."""

    name: str
    problem: object
    levels: dict
    prior: dict
    edges: np.ndarray
    candidates: Instances
    complexity: np.ndarray
    classes: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.edges) - 1


def prepare(name: str, problem, levels: dict, n_classes: int, n_per_class: int, pool: int, seed: int,
            prior: dict | None = None) -> Setup:
    """Class levels from the complexities of ``pool // 2`` instances drawn with ``levels`` (:func:`class_edges`),
    then ``n_per_class`` candidates of each class from a pool of ``pool`` (:func:`candidates_per_class`).
    ``prior`` (default: ``levels``) is what the prior-trained policy trains on."""
    rng = np.random.default_rng(seed)
    edges = class_edges(problem.complexity(problem.sample_instances(pool // 2, rng, **levels)), n_classes)
    candidates, rho, classes = candidates_per_class(problem, n_per_class, edges, rng, pool=pool, **levels)
    return Setup(name, problem, dict(levels), dict(levels if prior is None else prior), edges, candidates, rho,
                 classes)


def references(setup: Setup, policies, n_episodes: int, seed: int) -> np.ndarray:
    """:math:`L^*_k`: the smallest worst-case error in each class among ``policies`` (hand-designed ones)."""
    table = [worst_case_by_class(evaluate(setup.problem, p, setup.candidates, n_episodes, seed)[:, -1],
                                 setup.classes, setup.n_classes) for p in policies]
    return np.min(table, axis=0)


def train_pair(setup: Setup, refs, seed: int, n_updates: int, batch: int, repeats: int, lr: float, refresh: int,
               n_eval: int, temperature: float, uniform: float, hidden=(64, 64), lr_second: float | None = None):
    """The prior-trained and the robust policy of one seed, and their training logs (see the module docstring).

    The first ``n_updates`` (on the prior, shared) use learning rate ``lr``; the second ``n_updates`` of each
    policy use ``lr_second`` (default ``lr``)."""
    lr_second = lr if lr_second is None else lr_second
    prior = PolicyNetwork(setup.problem, hidden=hidden, seed=seed, name="prior-trained")
    first = train_on_prior(setup.problem, prior, n_updates, batch, repeats, lr, seed=seed,
                           desc=f"{setup.name}: prior, seed {seed}", **setup.prior)
    robust = copy.deepcopy(prior)
    robust.name = "robust"
    second = train_on_prior(setup.problem, prior, n_updates, batch, repeats, lr_second, seed=seed + 10_000,
                            desc=f"{setup.name}: prior (continued), seed {seed}", **setup.prior)
    adversarial = train_robust(setup.problem, robust, setup.candidates, setup.classes, refs, n_updates, batch,
                               repeats, lr_second, refresh, n_eval, temperature, uniform, seed=seed,
                               desc=f"{setup.name}: robust, seed {seed}")
    prior_log = TrainingLog(first.episodes + second.episodes, first.loss + second.loss)
    robust_log = TrainingLog(first.episodes + adversarial.episodes, first.loss + adversarial.loss,
                             adversarial.adversary, adversarial.objective)
    return prior, robust, prior_log, robust_log


def scoreboard(setup: Setup, policies: dict, refs, n_episodes: int, seed: int):
    """Evaluate ``policies`` (``{(name, seed): policy}``) on every candidate with the same outcome noise.

    Returns
    -------
    table : DataFrame
        One row a policy and seed: worst-case error per class, average error, worst regret.
    curves : dict
        ``{(name, seed): (N, T + 1) array}``: each candidate's mean error after ``0..T`` queries.
    """
    rows, curves = [], {}
    for (name, s), policy in policies.items():
        errors = evaluate(setup.problem, policy, setup.candidates, n_episodes, seed)
        curves[(name, s)] = errors
        final = errors[:, -1]
        worst = worst_case_by_class(final, setup.classes, setup.n_classes)
        rows.append({"problem": setup.name, "policy": name, "seed": s,
                     **{f"worst, class {k + 1}": w for k, w in enumerate(worst)},
                     "worst case": float(worst.max()), "average": float(final.mean()),
                     "worst regret": robust_objective(final, setup.classes, refs)})
    return pd.DataFrame(rows), curves
