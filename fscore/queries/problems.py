"""Active-learning problems for Chapter 16: instances, difficulty, and a batched simulator.

Zhang, Jain & Jamieson, *Learning to Actively Learn: A Robust Approach* (arXiv:2010.15382) frame an adaptive
data-collection task as a class of instances :math:`\\theta \\in \\Theta`: a policy asks ``budget`` queries, one at a
time, each chosen from the history, and then answers; its loss on :math:`\\theta` is the probability that the answer
is wrong. Three problems here, each with a small budget:

* :class:`NoisyThresholds` — points :math:`x_1 < \\dots < x_n` on a line, a threshold between two of them; a label
  flips with a probability that is largest next to the threshold and decays with the distance to it;
* :class:`NoisyTwentyQuestions` — a finite set of hypotheses (objects) and yes/no questions whose answers are
  flipped with probability :math:`\\eta`;
* :class:`BestArmIdentification` — a ``K``-armed Gaussian bandit with a fixed budget; the answer is an arm.

The first two are one family, :class:`HypothesisProblem`: a 0/1 answer matrix ``A`` (hypotheses x queries) and, for
an instance, the probability ``mu[h, q]`` that query ``q`` is answered 1 when ``h`` is true.

**Difficulty.** For a finite hypothesis problem the information-theoretic sample complexity of an instance is the
characteristic time of Chernoff's sequential design of experiments (Chernoff, 1959; Garivier & Kaufmann, 2016,
Thm. 1; the transductive-bandit form of Fiez, Jain, Jamieson & Ratliff, 2019, on which the paper's difficulty
:math:`\\rho^*` builds):

.. math:: \\rho^*(\\theta) = \\Bigl(\\max_{\\lambda \\in \\Delta_n} \\min_{h \\ne h^*} \\sum_q \\lambda_q\\,
   \\mathrm{KL}\\bigl(\\mu_{h^* q} \\,\\Vert\\, \\mu_{h q}\\bigr)\\Bigr)^{-1},

the number of queries (times :math:`\\log 1/\\delta`) any policy needs to rule out every alternative at confidence
:math:`1 - \\delta`; solved here as a linear programme. For thresholds with a constant flip rate it is
:math:`1/k_{h^*-1} + 1/k_{h^*}` with :math:`k_i = (1 - 2p_i) \\log\\frac{1 - p_i}{p_i}`, set by the two points next to
the threshold. For the bandit it is :math:`H_1(\\theta) = \\sum_i \\Delta_i^{-2}` (Audibert, Bubeck & Munos, 2010),
with :math:`\\Delta_{i^*}` the smallest gap.

**Simulation.** :func:`simulate` runs many episodes at once (tensors over episodes); :func:`simulate_loop` runs the
same policy one episode at a time from the same random numbers, the reference the tests and the benchmark compare
against.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linprog

#: Probabilities are clipped to [CLIP, 1 - CLIP] before a logarithm (a noiseless answer is then very strong
#: evidence, not an infinite one).
CLIP = 1e-6


# ------------------------------------------------------------------------------------------------ validation
def check_budget(budget) -> int:
    """A query budget: an integer ``>= 1``."""
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral):
        raise TypeError(f"budget must be an integer number of queries, got {budget!r}")
    if budget < 1:
        raise ValueError(f"budget={budget} is below 1: a policy needs at least one query")
    return int(budget)


def check_noise_rate(noise, name: str = "noise") -> np.ndarray | float:
    """Flip probabilities in ``[0, 0.5)``: at 0.5 an answer carries no information, above it the labels invert."""
    array = np.asarray(noise, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values")
    bad = (array < 0) | (array >= 0.5)
    if np.any(bad):
        raise ValueError(f"{name} must lie in [0, 0.5) (a flip probability; 0.5 means pure noise), got "
                         f"{array[bad].ravel()[0]:g}")
    return float(array) if array.ndim == 0 else array


def _rng(random_state) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)


# ------------------------------------------------------------------------------------------------ instances
@dataclass
class Instances:
    """A batch of problem instances: the true answer, the outcome model, and the noise level that generated them.

    ``means`` is ``(N, m, n)`` for a hypothesis problem (``mu[h, q]``: probability that query ``q`` is answered 1
    when hypothesis ``h`` is true, under this instance's noise) and ``(N, K)`` for a bandit (the arms' means).
    ``log_means`` caches ``(log mu, log(1 - mu))`` (clipped) for hypothesis problems, which every answer needs.
    """

    truth: torch.Tensor
    means: torch.Tensor
    level: np.ndarray
    log_means: tuple | None = None

    def __post_init__(self):
        if self.log_means is None and self.means.dim() == 3:
            self.log_means = log_outcome_model(self.means)

    def __len__(self) -> int:
        return int(self.truth.shape[0])

    def __getitem__(self, index) -> "Instances":
        index = np.asarray(index)
        rows = torch.as_tensor(index)
        logs = None if self.log_means is None else tuple(x[rows] for x in self.log_means)
        return Instances(self.truth[rows], self.means[rows], self.level[index], logs)

    @staticmethod
    def concat(parts) -> "Instances":
        return Instances(torch.cat([p.truth for p in parts]), torch.cat([p.means for p in parts]),
                         np.concatenate([p.level for p in parts]))


def log_outcome_model(means: torch.Tensor) -> tuple:
    """``(log mu, log(1 - mu))`` with ``mu`` clipped to ``[CLIP, 1 - CLIP]``."""
    mu = means.clamp(CLIP, 1 - CLIP)
    return mu.log(), (1 - mu).log()


@dataclass
class State:
    """The history of a batch of episodes, summarised per query: how often asked, and the sum of the outcomes."""

    counts: torch.Tensor
    sums: torch.Tensor
    t: int
    last: torch.Tensor


# ------------------------------------------------------------------------------------------------ helpers
def argmax_random(scores: torch.Tensor, u: torch.Tensor, tol: float = 1e-9) -> torch.Tensor:
    """Row-wise argmax, ties (within ``tol``) broken by the uniform numbers ``u`` (one per row)."""
    best = scores.max(dim=1, keepdim=True).values
    ties = scores >= best - tol
    n_ties = ties.sum(dim=1)
    pick = torch.clamp((u * n_ties).long(), max=n_ties - 1)
    return torch.searchsorted(ties.long().cumsum(dim=1), (pick + 1)[:, None]).squeeze(1)


def bernoulli_kl(p, q) -> np.ndarray:
    """``KL(Bern(p) || Bern(q))``, probabilities clipped to ``[CLIP, 1 - CLIP]``."""
    p, q = np.clip(p, CLIP, 1 - CLIP), np.clip(q, CLIP, 1 - CLIP)
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


# ------------------------------------------------------------------------------------------------ problems
class HypothesisProblem:
    """Identify the true hypothesis among ``m`` with at most ``budget`` noisy yes/no queries.

    Parameters
    ----------
    answers : array-like of shape (m, n)
        ``answers[h, q]`` in {0, 1}: the noiseless answer to query ``q`` when hypothesis ``h`` is true. At least two
        hypotheses, pairwise distinguishable (no two equal rows).
    budget : int
        Number of queries an episode may ask (``>= 1``).
    nominal_noise : float, default=0.1
        The flip rate of the problem's nominal model (in ``[0, 0.5)``): what a policy that does not know an
        instance's noise assumes (the learned policy's posterior feature, uncertainty sampling with a nominal noise).

    Notes
    -----
    Every policy answers with the maximum-likelihood hypothesis under the instance's own noise (ties broken at
    random), so that policies differ only in the queries they choose.
    """

    kind = "hypotheses"

    def __init__(self, answers, budget: int, nominal_noise: float = 0.1):
        A = np.asarray(answers)
        if A.ndim != 2:
            raise ValueError(f"answers must be a 2-D (hypotheses x queries) 0/1 matrix, got shape {A.shape}")
        if A.shape[0] == 0:
            raise ValueError("the hypothesis set is empty: give at least two hypotheses (rows of answers)")
        if A.shape[1] == 0:
            raise ValueError("there are no queries (answers has no columns)")
        if A.shape[0] < 2:
            raise ValueError("a single hypothesis leaves nothing to identify: give at least two")
        if not np.isin(A, (0, 1)).all():
            raise ValueError("answers must hold only 0 and 1 (the noiseless answer of each hypothesis to each query)")
        if np.unique(A, axis=0).shape[0] < A.shape[0]:
            raise ValueError("two hypotheses answer every query alike: no query can tell them apart")
        self.answers = A.astype(np.int64)
        self.budget = check_budget(budget)
        self.nominal_noise = check_noise_rate(nominal_noise, "nominal_noise")
        self._A = torch.as_tensor(self.answers, dtype=torch.float64)
        self.nominal_log_means = log_outcome_model(torch.as_tensor(self.means_for(self.nominal_noise)))

    @property
    def n_hypotheses(self) -> int:
        return self.answers.shape[0]

    @property
    def n_queries(self) -> int:
        return self.answers.shape[1]

    @property
    def n_features(self) -> int:
        return 2 * self.n_queries + self.n_hypotheses + 1

    # -- the noise model (subclasses say how a noise level becomes flip probabilities)
    def flip_matrix(self, level: float) -> np.ndarray:
        """``(m, n)`` flip probabilities of each query's answer when hypothesis ``h`` is true: ``level`` everywhere."""
        return np.full(self.answers.shape, float(level))

    def means_for(self, level: float) -> np.ndarray:
        """``mu[h, q] = P(answer 1 | h)``: ``1 - flip`` where the noiseless answer is 1, ``flip`` where it is 0."""
        flip = check_noise_rate(self.flip_matrix(level), "flip probabilities")
        return np.where(self.answers == 1, 1 - flip, flip)

    def instances(self, truth, level) -> Instances:
        """Instances with true hypotheses ``truth`` and noise levels ``level`` (arrays of the same length)."""
        truth = np.atleast_1d(np.asarray(truth))
        level = np.atleast_1d(np.asarray(level, dtype=np.float64))
        if truth.shape != level.shape or truth.ndim != 1:
            raise ValueError(f"truth and level must be 1-D of the same length, got {truth.shape} and {level.shape}")
        if not np.issubdtype(truth.dtype, np.integer) or truth.min() < 0 or truth.max() >= self.n_hypotheses:
            raise ValueError(f"truth must hold hypothesis indices in 0..{self.n_hypotheses - 1}")
        check_noise_rate(level, "level")
        means = np.stack([self.means_for(v) for v in level])
        return Instances(torch.as_tensor(truth, dtype=torch.long), torch.as_tensor(means, dtype=torch.float64),
                         level)

    def sample_instances(self, n: int, random_state=None, levels=(0.0, 0.3)) -> Instances:
        """``n`` instances: the true hypothesis uniform, the noise level uniform on ``levels`` (the prior)."""
        rng = _rng(random_state)
        low, high = check_noise_rate(levels, "levels")
        return self.instances(rng.integers(0, self.n_hypotheses, n), rng.uniform(low, high, n))

    # -- difficulty
    def complexity(self, instances: Instances) -> np.ndarray:
        """:math:`\\rho^*(\\theta)` of each instance (module docstring), by linear programming over the design."""
        means = instances.means.numpy()
        out = np.empty(len(instances))
        n = self.n_queries
        for i, (h_star, mu) in enumerate(zip(instances.truth.numpy(), means)):
            others = np.delete(np.arange(self.n_hypotheses), h_star)
            kl = bernoulli_kl(mu[h_star][None, :], mu[others])           # (m - 1, n)
            # maximise s subject to kl @ lam >= s, sum(lam) = 1, lam >= 0; variables (lam, s)
            res = linprog(np.r_[np.zeros(n), -1.0], A_ub=np.c_[-kl, np.ones(len(others))],
                          b_ub=np.zeros(len(others)), A_eq=np.r_[np.ones(n), 0.0][None], b_eq=[1.0],
                          bounds=[(0, None)] * n + [(0, None)], method="highs")
            if not res.success:
                raise RuntimeError(f"the design problem of instance {i} did not solve: {res.message}")
            out[i] = 1.0 / res.x[-1]
        return out

    # -- the simulator's pieces (tensors over a batch of episodes)
    def initial_state(self, batch: int) -> State:
        zeros = torch.zeros(batch, self.n_queries, dtype=torch.float64)
        return State(zeros, zeros.clone(), 0, torch.full((batch,), -1, dtype=torch.long))

    def observe(self, instances: Instances, actions: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """The answers (0/1) to ``actions``; ``noise`` holds one uniform number per episode."""
        rows = torch.arange(len(instances))
        p_one = instances.means[rows, instances.truth, actions]
        return (noise < p_one).to(torch.float64)

    @staticmethod
    def log_likelihood(log_means: tuple, state: State) -> torch.Tensor:
        """``(B, m)`` log-likelihood of each hypothesis under an outcome model given as
        ``(log mu, log(1 - mu))`` (:func:`log_outcome_model`), per episode ``(B, m, n)`` or shared ``(m, n)``."""
        log_mu, log_not = log_means
        ones, zeros = state.sums, state.counts - state.sums
        if log_mu.dim() == 2:
            return ones @ log_mu.T + zeros @ log_not.T
        return torch.bmm(log_mu, ones[:, :, None]).squeeze(2) + torch.bmm(log_not, zeros[:, :, None]).squeeze(2)

    def posterior(self, log_means: tuple, state: State) -> torch.Tensor:
        """Posterior over hypotheses (uniform prior) under an outcome model (see :meth:`log_likelihood`)."""
        return torch.softmax(self.log_likelihood(log_means, state), dim=1)

    def answer(self, instances: Instances, state: State, u: torch.Tensor) -> torch.Tensor:
        return argmax_random(self.log_likelihood(instances.log_means, state), u)

    def training_loss(self, instances: Instances, state: State) -> torch.Tensor:
        """``1 - posterior(h*)``: the error of answering with a posterior draw, a smooth stand-in for the 0/1 error."""
        post = self.posterior(instances.log_means, state)
        return 1 - post[torch.arange(len(instances)), instances.truth]

    def features(self, state: State) -> torch.Tensor:
        """What the learned policy sees: per query the share of the budget spent on it and the net answer
        ``(#yes - #no) / budget``, the posterior under the nominal noise, and the fraction of the budget used."""
        T = self.budget
        post = self.posterior(self.nominal_log_means, state)
        used = torch.full((state.counts.shape[0], 1), state.t / T, dtype=torch.float64)
        return torch.cat([state.counts / T, (2 * state.sums - state.counts) / T, post, used], dim=1)

    def noiseless_split(self, posterior: torch.Tensor) -> torch.Tensor:
        """``(B, n)``: the posterior probability that each query's noiseless answer is 1."""
        return posterior @ self._A


class NoisyThresholds(HypothesisProblem):
    """One-dimensional thresholds with label noise that depends on the distance to the threshold.

    Points :math:`x_i = i` (``i = 0..n-1``); hypothesis ``h`` (``0..n``) labels point ``i`` with 1 when ``i >= h``.
    Under noise level :math:`\\eta` a label flips with probability
    :math:`p_i = \\eta\\, \\exp(-(d_i - \\tfrac12)/w)`, :math:`d_i = |i + \\tfrac12 - h|` the distance to the threshold:
    :math:`\\eta` at the two points next to it, decaying with width ``w`` (``w = inf``: constant noise).

    Parameters
    ----------
    n_points : int
        Number of points (``>= 1``); there are ``n_points + 1`` thresholds.
    budget : int
    width : float, default=2.0
        Decay width ``w`` of the flip probability, in points (positive; ``np.inf`` for constant noise).
    nominal_noise : float, default=0.1
    """

    def __init__(self, n_points: int, budget: int, width: float = 2.0, nominal_noise: float = 0.1):
        if isinstance(n_points, bool) or not isinstance(n_points, numbers.Integral) or n_points < 1:
            raise ValueError(f"n_points must be a positive integer, got {n_points!r}")
        if not (isinstance(width, numbers.Real) and width > 0):
            raise ValueError(f"width must be positive (np.inf for constant noise), got {width!r}")
        self.width = float(width)
        hypotheses = np.arange(n_points + 1)[:, None]
        super().__init__((np.arange(n_points)[None, :] >= hypotheses).astype(int), budget, nominal_noise)

    def flip_matrix(self, level: float) -> np.ndarray:
        d = np.abs(np.arange(self.n_queries)[None, :] + 0.5 - np.arange(self.n_hypotheses)[:, None])
        return float(level) * np.exp(-(d - 0.5) / self.width)


class NoisyTwentyQuestions(HypothesisProblem):
    """A noisy "20 questions" game: ``n_hypotheses`` objects, ``n_questions`` yes/no questions, answers flipped
    with probability :math:`\\eta` (the paper's noisy 20 Questions, Sec. 5, on a synthetic answer table).

    Parameters
    ----------
    n_hypotheses, n_questions : int
        Sizes of the answer table, drawn with independent coins and redrawn until the rows are distinct.
    budget : int
    nominal_noise : float, default=0.1
    p_yes : float, default=0.5
        Probability that an entry of the random answer table is "yes" (in (0, 1)). Most questions of a real game
        are answered "no" by most objects ("is it a dog?"), so a random question rarely splits the hypotheses.
    random_state : int or numpy Generator, optional
        Seeds the answer table.
    answers : array-like of shape (m, n), optional
        A given answer table instead of a random one.
    """

    def __init__(self, n_hypotheses: int = 16, n_questions: int = 10, budget: int = 10, nominal_noise: float = 0.1,
                 p_yes: float = 0.5, random_state=None, answers=None):
        if answers is None:
            for name, value in (("n_hypotheses", n_hypotheses), ("n_questions", n_questions)):
                if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                    raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
            if n_hypotheses == 0:
                raise ValueError("the hypothesis set is empty: n_hypotheses must be at least 2")
            if 2 ** n_questions < n_hypotheses:
                raise ValueError(f"{n_questions} yes/no questions cannot tell {n_hypotheses} hypotheses apart")
            if not 0 < p_yes < 1:
                raise ValueError(f"p_yes must lie in (0, 1), got {p_yes!r}")
            rng = _rng(random_state)
            while True:
                answers = (rng.random((n_hypotheses, n_questions)) < p_yes).astype(int)
                if np.unique(answers, axis=0).shape[0] == n_hypotheses:
                    break
        super().__init__(answers, budget, nominal_noise)


class BestArmIdentification:
    """Fixed-budget best-arm identification in a ``K``-armed bandit with Gaussian rewards of variance ``sigma^2``.

    A query pulls an arm and returns a reward :math:`\\mu_a + \\sigma \\varepsilon`; the answer is the arm with the
    highest empirical mean (unpulled arms last, ties at random). An instance's difficulty is
    :math:`H_1 = \\sum_i \\Delta_i^{-2}` (Audibert, Bubeck & Munos, 2010), :math:`\\Delta_i = \\mu_{i^*} - \\mu_i` and
    :math:`\\Delta_{i^*} = \\min_{i \\ne i^*} \\Delta_i`.

    Parameters
    ----------
    n_arms : int
        ``K >= 2``.
    budget : int
    sigma : float, default=1.0
        Reward noise (positive).
    """

    kind = "bandit"

    def __init__(self, n_arms: int, budget: int, sigma: float = 1.0):
        if isinstance(n_arms, bool) or not isinstance(n_arms, numbers.Integral) or n_arms < 2:
            raise ValueError(f"n_arms must be an integer >= 2 (one arm leaves nothing to identify), got {n_arms!r}")
        if not (isinstance(sigma, numbers.Real) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be a positive number, got {sigma!r}")
        self.n_arms, self.budget, self.sigma = int(n_arms), check_budget(budget), float(sigma)

    @property
    def n_queries(self) -> int:
        return self.n_arms

    @property
    def n_features(self) -> int:
        return 2 * self.n_arms + 1

    def instances(self, means) -> Instances:
        """Instances from a ``(N, K)`` array of arm means with a unique best arm each."""
        means = np.atleast_2d(np.asarray(means, dtype=np.float64))
        if means.ndim != 2 or means.shape[1] != self.n_arms:
            raise ValueError(f"means must have shape (N, {self.n_arms}), got {means.shape}")
        if not np.all(np.isfinite(means)):
            raise ValueError("means holds NaN or infinite values")
        top2 = np.sort(means, axis=1)[:, -2:]
        if np.any(top2[:, 1] - top2[:, 0] <= 0):
            raise ValueError("every instance needs a unique best arm (a positive gap)")
        gap = top2[:, 1] - top2[:, 0]
        return Instances(torch.as_tensor(means.argmax(axis=1)), torch.as_tensor(means), gap)

    def sample_instances(self, n: int, random_state=None, levels=(0.2, 2.0)) -> Instances:
        """The prior: smallest gap log-uniform on ``levels``; the others that gap times U(1, 4); best arm uniform."""
        rng = _rng(random_state)
        low, high = levels
        if not 0 < low <= high:
            raise ValueError(f"levels must be 0 < low <= high gaps, got {levels!r}")
        gap = np.exp(rng.uniform(np.log(low), np.log(high), n))
        gaps = gap[:, None] * rng.uniform(1, 4, (n, self.n_arms))
        gaps[np.arange(n), rng.integers(0, self.n_arms, n)] = 0.0
        second = np.where(gaps > 0, gaps, np.inf).argmin(axis=1)
        gaps[np.arange(n), second] = gap
        return self.instances(-gaps)

    def complexity(self, instances: Instances) -> np.ndarray:
        """:math:`H_1(\\theta) = \\sum_i \\Delta_i^{-2}` with the best arm's gap set to the smallest other gap."""
        mu = instances.means.numpy()
        gaps = mu.max(axis=1, keepdims=True) - mu
        best = mu.argmax(axis=1)
        gaps[np.arange(len(mu)), best] = np.inf
        gaps[np.arange(len(mu)), best] = gaps.min(axis=1)
        return (gaps ** -2.0).sum(axis=1) * self.sigma ** 2

    def initial_state(self, batch: int) -> State:
        zeros = torch.zeros(batch, self.n_arms, dtype=torch.float64)
        return State(zeros, zeros.clone(), 0, torch.full((batch,), -1, dtype=torch.long))

    def observe(self, instances: Instances, actions: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Rewards of ``actions``; ``noise`` holds one standard normal number per episode."""
        return instances.means[torch.arange(len(instances)), actions] + self.sigma * noise

    @staticmethod
    def empirical_means(state: State) -> torch.Tensor:
        return torch.where(state.counts > 0, state.sums / state.counts.clamp(min=1), -torch.inf)

    def answer(self, instances: Instances, state: State, u: torch.Tensor) -> torch.Tensor:
        return argmax_random(self.empirical_means(state), u)

    def training_loss(self, instances: Instances, state: State) -> torch.Tensor:
        """The error of the empirical-best answer averaged over its random tie-breaking."""
        means = self.empirical_means(state)
        ties = means >= means.max(dim=1, keepdim=True).values - 1e-9
        hit = ties[torch.arange(len(instances)), instances.truth].to(torch.float64)
        return 1 - hit / ties.sum(dim=1)

    def features(self, state: State) -> torch.Tensor:
        """Per arm the share of the budget spent and the empirical mean (0 when unpulled); the budget used."""
        T = self.budget
        means = torch.where(state.counts > 0, state.sums / state.counts.clamp(min=1), 0.0) / self.sigma
        used = torch.full((state.counts.shape[0], 1), state.t / T, dtype=torch.float64)
        return torch.cat([state.counts / T, means, used], dim=1)


# ------------------------------------------------------------------------------------------------ simulation
@dataclass
class Rollout:
    """What a batch of episodes did: the 0/1 error after each number of queries, the queries and outcomes, the
    log-probability of the chosen queries (learned policies; zeros otherwise) and the final training loss."""

    errors: torch.Tensor        # (B, T + 1): error of the answer after 0..T queries
    actions: torch.Tensor       # (B, T)
    outcomes: torch.Tensor      # (B, T)
    log_prob: torch.Tensor      # (B,)
    loss: torch.Tensor          # (B,)


def draw_randomness(problem, batch: int, generator: torch.Generator):
    """The random numbers of ``batch`` episodes: outcome noise, the policy's uniforms, the answer's tie-breaks."""
    T = problem.budget
    if problem.kind == "bandit":
        noise = torch.randn(batch, T, generator=generator, dtype=torch.float64)
    else:
        noise = torch.rand(batch, T, generator=generator, dtype=torch.float64)
    policy_u = torch.rand(batch, T, generator=generator, dtype=torch.float64)
    tie_u = torch.rand(batch, T + 1, generator=generator, dtype=torch.float64)
    return noise, policy_u, tie_u


def rollout(problem, policy, instances: Instances, noise, policy_u, tie_u) -> Rollout:
    """Run one episode per instance, all at once, from the given random numbers (:func:`draw_randomness`)."""
    B, T = noise.shape
    state = problem.initial_state(B)
    policy.reset(B)
    errors = [problem.answer(instances, state, tie_u[:, 0]) != instances.truth]
    actions, outcomes, log_prob = [], [], torch.zeros(B, dtype=torch.float64)
    for t in range(T):
        a, logp = policy.act(problem, instances, state, policy_u[:, t])
        y = problem.observe(instances, a, noise[:, t])
        rows = torch.arange(B)
        counts, sums = state.counts.clone(), state.sums.clone()
        counts[rows, a] += 1
        sums[rows, a] += y
        state = State(counts, sums, t + 1, a)
        errors.append(problem.answer(instances, state, tie_u[:, t + 1]) != instances.truth)
        actions.append(a)
        outcomes.append(y)
        if logp is not None:
            log_prob = log_prob + logp
    return Rollout(torch.stack(errors, dim=1).to(torch.float64), torch.stack(actions, dim=1),
                   torch.stack(outcomes, dim=1), log_prob, problem.training_loss(instances, state))


def simulate(problem, policy, instances: Instances, generator: torch.Generator) -> Rollout:
    """One episode per instance (repeat instances for more), every episode advanced together (batched)."""
    return rollout(problem, policy, instances, *draw_randomness(problem, len(instances), generator))


def simulate_loop(problem, policy, instances: Instances, generator: torch.Generator) -> Rollout:
    """The same episodes as :func:`simulate` from the same generator, run one at a time (the reference)."""
    noise, policy_u, tie_u = draw_randomness(problem, len(instances), generator)
    parts = [rollout(problem, policy, instances[[i]], noise[i:i + 1], policy_u[i:i + 1], tie_u[i:i + 1])
             for i in range(len(instances))]
    return Rollout(*(torch.cat([getattr(p, f) for p in parts]) for f in
                     ("errors", "actions", "outcomes", "log_prob", "loss")))
