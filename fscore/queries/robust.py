"""Difficulty classes, the robust objective, and batched REINFORCE training against an adversary (Chapter 16).

Zhang, Jain & Jamieson (arXiv:2010.15382) split the instances into classes by their information-theoretic
complexity :math:`\\rho^*` (:mod:`fscore.queries.problems`) and learn one policy :math:`\\pi` for

.. math:: \\min_\\pi \\max_k \\Bigl[\\max_{\\theta \\in \\Theta_k} \\ell(\\pi, \\theta) - L^*_k\\Bigr], \\qquad
   L^*_k = \\min_{\\pi'} \\max_{\\theta \\in \\Theta_k} \\ell(\\pi', \\theta),

the worst-case loss in each class minus the best worst-case loss any policy reaches there: a policy that competes
with the best policy *for every class*, not on average over a prior. Here (as the chapter states):

* the classes are rings :math:`\\Theta_k = \\{\\theta : r_{k-1} < \\rho^*(\\theta) \\le r_k\\}` represented by a finite
  set of candidate instances each;
* :math:`L^*_k` is the best worst-case error among the hand-designed policies (the paper learns a policy per class);
* the adversary is a softmax over the candidates of their regret :math:`\\ell(\\pi, \\theta) - L^*_{k(\\theta)}`,
  re-estimated by simulation every ``refresh`` updates (the paper follows gradients of a parameterised adversary).
  Because :math:`\\max_k [\\max_{\\Theta_k} \\ell - L^*_k] = \\max_\\theta [\\ell(\\theta) - L^*_{k(\\theta)}]`, its
  most heavily weighted instances are the ones that decide the objective.

The policy is trained by REINFORCE (Williams, 1992) with a leave-one-out baseline: each sampled instance is played
``repeats`` times and each episode's loss is compared with the mean of its siblings'.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import torch

from fscore.progress import progress
from fscore.queries.problems import Instances, simulate


# ------------------------------------------------------------------------------------------------ classes
def class_edges(complexity, n_classes: int) -> np.ndarray:
    """``n_classes + 1`` geometric levels :math:`r_0 < \\dots < r_K` spanning the 1st-99th percentiles of
    ``complexity`` (a sample from the prior); the outer levels are opened to 0 and infinity."""
    complexity = np.asarray(complexity, dtype=np.float64)
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    if complexity.size < 2 or not np.all(np.isfinite(complexity)) or np.any(complexity <= 0):
        raise ValueError("complexity must hold at least two positive finite values")
    low, high = np.percentile(complexity, [1, 99])
    edges = np.geomspace(low, high, n_classes + 1)
    edges[0], edges[-1] = 0.0, np.inf
    return edges


def difficulty_class(complexity, edges) -> np.ndarray:
    """The class ``k`` (0-based) with ``edges[k] < complexity <= edges[k + 1]``."""
    return np.clip(np.searchsorted(np.asarray(edges), np.asarray(complexity), side="left") - 1, 0, len(edges) - 2)


def candidates_per_class(problem, n_per_class: int, edges, random_state=None, pool: int = 20_000, **levels):
    """``n_per_class`` instances of every class, drawn from the problem's prior sampler (``levels`` widen it) and
    kept by class; an error names a class that the pool does not reach."""
    rng = np.random.default_rng(random_state)
    instances = problem.sample_instances(pool, rng, **levels)
    rho = problem.complexity(instances)
    k = difficulty_class(rho, edges)
    chosen = []
    for c in range(len(edges) - 1):
        members = np.flatnonzero(k == c)
        if members.size < n_per_class:
            raise ValueError(f"class {c} ({edges[c]:.3g} < rho <= {edges[c + 1]:.3g}) has {members.size} of "
                             f"{n_per_class} instances in a pool of {pool}: widen the levels or the pool")
        chosen.append(rng.choice(members, n_per_class, replace=False))
    chosen = np.concatenate(chosen)
    return instances[chosen], rho[chosen], k[chosen]


# ------------------------------------------------------------------------------------------------ the objective
def worst_case_by_class(losses, classes, n_classes: int) -> np.ndarray:
    """``max`` of ``losses`` over the instances of each class (``(n_classes,)``); every class must have one."""
    losses, classes = np.asarray(losses, dtype=np.float64), np.asarray(classes)
    if losses.shape != classes.shape or losses.ndim != 1:
        raise ValueError(f"losses and classes must be 1-D of one length, got {losses.shape} and {classes.shape}")
    out = np.empty(n_classes)
    for k in range(n_classes):
        member = losses[classes == k]
        if member.size == 0:
            raise ValueError(f"class {k} has no instance")
        out[k] = member.max()
    return out


def robust_objective(losses, classes, references) -> float:
    """:math:`\\max_k [\\max_{\\theta \\in \\Theta_k} \\ell(\\theta) - L^*_k]` (module docstring): a policy's largest
    regret against the per-class references ``references`` (``L*_k``)."""
    references = np.asarray(references, dtype=np.float64)
    return float(np.max(worst_case_by_class(losses, classes, references.size) - references))


# ------------------------------------------------------------------------------------------------ evaluation
def evaluate(problem, policy, instances: Instances, n_episodes: int, seed: int = 0) -> np.ndarray:
    """Mean 0/1 error after ``0..T`` queries of each instance over ``n_episodes`` episodes: ``(N, T + 1)``.

    Every episode of every instance runs in one batch; the generator is seeded with ``seed`` so that two policies
    evaluated with the same seed meet the same outcome noise.
    """
    index = np.repeat(np.arange(len(instances)), n_episodes)
    generator = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        errors = simulate(problem, policy, instances[index], generator).errors
    return errors.reshape(len(instances), n_episodes, -1).mean(dim=1).numpy()


# ------------------------------------------------------------------------------------------------ training
@dataclass
class TrainingLog:
    """What a training run did: episodes simulated (training and the adversary's evaluations), the training loss
    per update, and the adversary's weights over the candidates at each refresh."""

    episodes: int = 0
    loss: list = field(default_factory=list)
    adversary: list = field(default_factory=list)
    objective: list = field(default_factory=list)


def reinforce_step(problem, policy, optimizer, instances: Instances, repeats: int, generator: torch.Generator,
                   entropy: float = 0.0) -> float:
    """One policy-gradient step on ``len(instances) * repeats`` episodes.

    The gradient of the mean loss is estimated by REINFORCE, :math:`\\nabla \\mathbb{E}[\\ell] = \\mathbb{E}[(\\ell -
    b) \\nabla \\log \\pi(a_{1:T})]`, with ``b`` the mean loss of the other ``repeats - 1`` episodes of the same
    instance (leave-one-out), which leaves the estimate unbiased and removes the instance's own difficulty from it.
    """
    index = np.repeat(np.arange(len(instances)), repeats)
    out = simulate(problem, policy, instances[index], generator)
    loss = out.loss.reshape(len(instances), repeats)
    baseline = (loss.sum(dim=1, keepdim=True) - loss) / (repeats - 1)
    advantage = (loss - baseline).reshape(-1)
    objective = (advantage.detach() * out.log_prob).mean() - entropy * (-out.log_prob).mean()
    optimizer.zero_grad()
    objective.backward()
    optimizer.step()
    return float(loss.mean())


def _check_training(n_updates, batch, repeats):
    for name, value, low in (("n_updates", n_updates, 1), ("batch", batch, 1), ("repeats", repeats, 2)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def train_on_prior(problem, policy, n_updates: int, batch: int = 64, repeats: int = 4, lr: float = 3e-3,
                   seed: int = 0, desc: str | None = None, **levels) -> TrainingLog:
    """Average-case training: every update draws fresh instances from the problem's prior sampler."""
    _check_training(n_updates, batch, repeats)
    generator = torch.Generator().manual_seed(int(seed))
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    log = TrainingLog()
    for _ in progress(range(n_updates), desc=desc or f"{policy.name} (prior)"):
        log.loss.append(reinforce_step(problem, policy, optimizer, problem.sample_instances(batch, rng, **levels),
                                       repeats, generator))
        log.episodes += batch * repeats
    return log


def adversary_weights(regret, temperature: float, uniform: float) -> np.ndarray:
    """The adversary's distribution over candidates: ``(1 - uniform) softmax(regret / temperature) + uniform / N``."""
    regret = np.asarray(regret, dtype=np.float64)
    if not temperature > 0 or not 0 <= uniform <= 1:
        raise ValueError(f"temperature must be positive and uniform in [0, 1], got {temperature!r}, {uniform!r}")
    z = np.exp((regret - regret.max()) / temperature)
    return (1 - uniform) * z / z.sum() + uniform / regret.size


def train_robust(problem, policy, candidates: Instances, classes, references, n_updates: int, batch: int = 64,
                 repeats: int = 4, lr: float = 3e-3, refresh: int = 50, n_eval: int = 32, temperature: float = 0.02,
                 uniform: float = 0.2, seed: int = 0, desc: str | None = None) -> TrainingLog:
    """Robust training: REINFORCE on instances the adversary draws from the candidates (module docstring).

    Every ``refresh`` updates the current policy is played ``n_eval`` times on every candidate; the regret of a
    candidate is its estimated error minus its class's reference ``references[k]``; training instances are drawn
    from :func:`adversary_weights` of those regrets until the next refresh.
    """
    _check_training(n_updates, batch, repeats)
    classes = np.asarray(classes)
    references = np.asarray(references, dtype=np.float64)
    if classes.shape != (len(candidates),):
        raise ValueError(f"classes must give one class per candidate ({len(candidates)}), got {classes.shape}")
    if not isinstance(refresh, numbers.Integral) or refresh < 1 or not isinstance(n_eval, numbers.Integral) \
            or n_eval < 1:
        raise ValueError(f"refresh and n_eval must be positive integers, got {refresh!r}, {n_eval!r}")
    generator = torch.Generator().manual_seed(int(seed))
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    log = TrainingLog()
    weights = None
    for u in progress(range(n_updates), desc=desc or f"{policy.name} (robust)"):
        if u % refresh == 0:
            errors = evaluate(problem, policy, candidates, n_eval, seed=int(rng.integers(2**31)))[:, -1]
            log.episodes += len(candidates) * n_eval
            regret = errors - references[classes]
            weights = adversary_weights(regret, temperature, uniform)
            log.adversary.append(weights)
            log.objective.append(robust_objective(errors, classes, references))
        chosen = rng.choice(len(candidates), batch, p=weights)
        log.loss.append(reinforce_step(problem, policy, optimizer, candidates[chosen], repeats, generator))
        log.episodes += batch * repeats
    return log
