"""Query policies for Chapter 16: hand-designed baselines and the learned policy network.

A policy chooses, for a batch of episodes at once, the next query of each from its history
(:class:`fscore.queries.problems.State`); ``act(problem, instances, state, u)`` returns the queries and, for a
learned policy, their log-probabilities. ``u`` holds one uniform random number per episode: every random choice of a
policy is drawn from it, so that a batch and a one-at-a-time loop from the same numbers agree exactly.
``instances`` is passed so that a policy told the noise (uncertainty sampling with ``noise="known"``) can read it;
no other policy looks at it.

Baselines: :class:`RandomPolicy`; :class:`UncertaintySampling` (query where the current posterior is least sure of
the noiseless answer: probabilistic bisection on thresholds, Horstein 1963; for bandits, the less-sampled of the two
empirically best arms); :class:`Bisection` (generalised binary search on majority answers, each query asked
``repeats`` times); :class:`SequentialHalving` (Karnin, Koren & Somekh, 2013) and :class:`RoundRobin` for bandits.
The learned policy is :class:`PolicyNetwork` (Zhang, Jain & Jamieson, arXiv:2010.15382, Sec. 3: a network over the
history, trained by policy gradients; :mod:`fscore.queries.robust`).
"""
from __future__ import annotations

import math
import numbers

import torch
from torch import nn

from fscore.nn.mlp import MLP
from fscore.queries.problems import argmax_random, check_noise_rate, log_outcome_model


def _hypotheses_only(problem, name):
    if problem.kind != "hypotheses":
        raise TypeError(f"{name} needs a hypothesis problem (thresholds, 20 questions), got {type(problem).__name__}")


def _bandit_only(problem, name):
    if problem.kind != "bandit":
        raise TypeError(f"{name} needs a bandit problem, got {type(problem).__name__}")


class Policy:
    """The interface: ``reset(batch)`` before an episode, ``act(problem, instances, state, u) -> (queries, log_prob)``."""

    name = "policy"

    def reset(self, batch: int) -> None:
        """Forget the previous episodes (policies with no memory beyond the history do nothing)."""

    def act(self, problem, instances, state, u):
        raise NotImplementedError


class RandomPolicy(Policy):
    """Every query uniformly at random (passive sampling)."""

    name = "random"

    def act(self, problem, instances, state, u):
        return torch.clamp((u * problem.n_queries).long(), max=problem.n_queries - 1), None


class UncertaintySampling(Policy):
    """Query what the current model is least sure of.

    Hypothesis problems: the query whose noiseless answer has posterior probability closest to 1/2 (on
    thresholds, the posterior median: probabilistic bisection, Horstein 1963). The posterior uses the instance's
    true noise (``noise="known"``), a fixed flip rate (a float), or 0 (noiseless bisection that trusts every answer
    as far as the clip allows). Bandits: pull the less-sampled of the two arms with the highest empirical means
    (unpulled arms first), the comparison the answer is least sure of.

    Parameters
    ----------
    noise : "known" or float, default="known"
        Ignored on bandits.
    name : str, optional
        How tables and figures label it (default: says the noise it assumes).
    """

    def __init__(self, noise="known", name: str | None = None):
        if noise != "known":
            noise = check_noise_rate(noise, "noise")
        self.noise = noise
        self._models = {}
        default = "uncertainty (known noise)" if noise == "known" else f"uncertainty (noise {noise:g})"
        self.name = name or default

    def act(self, problem, instances, state, u):
        if problem.kind == "bandit":
            counts = state.counts
            means = torch.where(counts > 0, state.sums / counts.clamp(min=1), torch.inf)
            top2 = means.topk(2, dim=1).indices
            pair_counts = counts.gather(1, top2)
            score = torch.full_like(counts, -torch.inf)
            score.scatter_(1, top2, -pair_counts)
            return argmax_random(score, u), None
        if self.noise == "known":
            model = instances.log_means
        else:
            if id(problem) not in self._models:
                self._models[id(problem)] = log_outcome_model(torch.as_tensor(problem.means_for(self.noise)))
            model = self._models[id(problem)]
        split = problem.noiseless_split(problem.posterior(model, state))
        return argmax_random(-(split - 0.5).abs(), u), None


class Bisection(Policy):
    """Generalised binary search on majority answers: ask each chosen query ``repeats`` times, keep the hypotheses
    that disagree least with the majority answers, and next ask the unasked query that splits them most evenly.

    With ``repeats=1`` on noiseless thresholds this is bisection: it finds the threshold among ``n + 1`` in
    :math:`\\lceil \\log_2 (n + 1) \\rceil` queries. ``repeats > 1`` is the classical noise-robust version (a majority
    of ``repeats`` answers per point).
    """

    def __init__(self, repeats: int = 1):
        if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral) or repeats < 1:
            raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
        self.repeats = int(repeats)
        self.name = "bisection" if repeats == 1 else f"bisection ({repeats} repeats)"

    def act(self, problem, instances, state, u):
        _hypotheses_only(problem, "Bisection")
        B = state.counts.shape[0]
        rows = torch.arange(B)
        last = state.last.clamp(min=0)
        unfinished = (state.last >= 0) & (state.counts[rows, last] % self.repeats != 0)
        majority = torch.sign(2 * state.sums - state.counts)                   # +1 yes, -1 no, 0 unasked or tied
        signed = 2 * problem._A - 1                                            # (m, n)
        disagree = ((majority[:, None, :] * signed[None]) < 0).sum(dim=2)      # (B, m)
        survivors = (disagree == disagree.min(dim=1, keepdim=True).values).to(torch.float64)
        share = (survivors @ problem._A) / survivors.sum(dim=1, keepdim=True)
        score = -(share - 0.5).abs() - (state.counts > 0).to(torch.float64)
        choice = argmax_random(score, u)
        return torch.where(unfinished, last, choice), None


class RoundRobin(Policy):
    """Pull the arms in turn (uniform allocation, the fixed-budget passive baseline)."""

    name = "round robin"

    def act(self, problem, instances, state, u):
        _bandit_only(problem, "RoundRobin")
        return torch.full((state.counts.shape[0],), state.t % problem.n_arms, dtype=torch.long), None


class SequentialHalving(Policy):
    """Sequential halving (Karnin, Koren & Somekh, 2013, Alg. 1) for fixed-budget best-arm identification.

    :math:`\\lceil \\log_2 K \\rceil` rounds of :math:`\\lfloor T / \\lceil \\log_2 K \\rceil \\rfloor` pulls (the last
    round takes what is left), spread evenly over the surviving arms; after each round the better half (by the
    empirical means of all pulls so far) survives.
    """

    name = "sequential halving"

    def reset(self, batch: int) -> None:
        self._survivors = None

    def act(self, problem, instances, state, u):
        _bandit_only(problem, "SequentialHalving")
        K, T = problem.n_arms, problem.budget
        rounds = math.ceil(math.log2(K))
        per_round = T // rounds
        r = min(state.t // per_round, rounds - 1) if per_round else rounds - 1
        start = r * per_round
        if self._survivors is None:
            self._survivors = torch.ones(state.counts.shape[0], K, dtype=torch.bool)
            self._round = 0
        while self._round < r:                                  # a round ended: keep the better half
            keep = math.ceil(int(self._survivors[0].sum()) / 2)
            means = torch.where(self._survivors, problem.empirical_means(state), -torch.inf)
            top = means.topk(keep, dim=1).indices
            self._survivors = torch.zeros_like(self._survivors).scatter_(1, top, True)
            self._round += 1
        order = torch.argsort((~self._survivors).to(torch.int8), dim=1, stable=True)
        position = (state.t - start) % int(self._survivors[0].sum())
        return order[:, position], None


class PolicyNetwork(Policy, nn.Module):
    """The learned policy: an MLP (:class:`fscore.nn.MLP`) from the history's features to a softmax over queries.

    The features are the problem's (``problem.features``): for each query, the share of the budget spent on it and
    the net answer (bandits: the empirical mean), the posterior under the problem's nominal noise for hypothesis
    problems, and the fraction of the budget used. Queries are sampled from the softmax (a stochastic policy, as
    REINFORCE needs), with the episode's uniform number ``u`` (inverse distribution function).

    Parameters
    ----------
    problem : HypothesisProblem or BestArmIdentification
    hidden : tuple of int, default=(64, 64)
    seed : int, default=0
        Seeds the initial weights.
    name : str, default="learned"
    """

    def __init__(self, problem, hidden=(64, 64), seed: int = 0, name: str = "learned"):
        nn.Module.__init__(self)
        # float64: a float32 network's outputs differ in the last bits with the memory alignment of its inputs
        # (MKL), which flips a sampled query now and then and makes two runs of the same seed drift apart.
        self.mlp = MLP(problem.n_features, problem.n_queries, hidden=hidden, seed=seed).double()
        self.name = name

    def logits(self, problem, state) -> torch.Tensor:
        return self.mlp(problem.features(state))[0]

    def act(self, problem, instances, state, u):
        log_p = torch.log_softmax(self.logits(problem, state), dim=1)
        cdf = log_p.exp().cumsum(dim=1)
        cdf = cdf / cdf[:, -1:]
        a = torch.searchsorted(cdf.detach().double(), u[:, None].contiguous()).squeeze(1).clamp(max=cdf.shape[1] - 1)
        return a, log_p[torch.arange(len(a)), a]
