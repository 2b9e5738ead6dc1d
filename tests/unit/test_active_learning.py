"""Chapter 16: active-learning problems, policies, the robust objective and batched REINFORCE (fscore.queries)."""
import math

import numpy as np
import pytest
import torch

from fscore.queries.evaluation import prepare, references, scoreboard
from fscore.queries.policies import (Bisection, PolicyNetwork, RandomPolicy, RoundRobin, SequentialHalving,
                                     UncertaintySampling)
from fscore.queries.problems import (BestArmIdentification, HypothesisProblem, NoisyThresholds, NoisyTwentyQuestions,
                                     argmax_random, check_budget, check_noise_rate, simulate, simulate_loop)
from fscore.queries.robust import (adversary_weights, class_edges, difficulty_class, evaluate, reinforce_step,
                                   robust_objective, train_robust, worst_case_by_class)


def k_constant(p):
    """KL(Bern(1 - p) || Bern(p)): what one query next to the threshold tells at flip rate p."""
    return (1 - 2 * p) * math.log((1 - p) / p)


# ------------------------------------------------------------------------------------------------ difficulty
def test_bandit_complexity_on_a_known_instance():
    problem = BestArmIdentification(4, budget=10)
    inst = problem.instances([[1.0, 0.5, 0.0, 0.0]])
    # gaps 0.5 (best arm: the smallest gap), 0.5, 1, 1 -> 4 + 4 + 1 + 1
    assert problem.complexity(inst)[0] == pytest.approx(10.0)
    assert BestArmIdentification(4, 10, sigma=2.0).complexity(inst)[0] == pytest.approx(40.0)


def test_threshold_complexity_is_set_by_the_two_points_next_to_the_threshold():
    problem = NoisyThresholds(8, budget=5, width=np.inf)      # constant flip rate
    for p in (0.05, 0.2, 0.4):
        inst = problem.instances([4, 0, 8], [p, p, p])
        rho = problem.complexity(inst)
        assert rho[0] == pytest.approx(2 / k_constant(p), rel=1e-6)   # interior: 1/k + 1/k
        assert rho[1] == pytest.approx(1 / k_constant(p), rel=1e-6)   # at the edge only one neighbour
        assert rho[2] == pytest.approx(1 / k_constant(p), rel=1e-6)


def test_distance_dependent_noise_is_largest_next_to_the_threshold_and_harder_with_more_noise():
    problem = NoisyThresholds(10, budget=5, width=2.0)
    flips = problem.flip_matrix(0.3)
    assert flips[5, 4] == pytest.approx(0.3) and flips[5, 5] == pytest.approx(0.3)
    assert flips[5, 0] < flips[5, 3] < flips[5, 4]
    rho = problem.complexity(problem.instances([5, 5, 5], [0.05, 0.2, 0.35]))
    assert rho[0] < rho[1] < rho[2]


def test_twenty_questions_table_is_distinct_and_biased_by_p_yes():
    game = NoisyTwentyQuestions(16, 16, budget=12, p_yes=0.25, random_state=0)
    assert np.unique(game.answers, axis=0).shape[0] == 16
    assert 0.15 < game.answers.mean() < 0.35
    with pytest.raises(ValueError, match="p_yes"):
        NoisyTwentyQuestions(4, 4, budget=2, p_yes=1.0)
    with pytest.raises(ValueError, match="cannot tell"):
        NoisyTwentyQuestions(9, 3, budget=2)


def test_classes_are_rings_of_the_complexity():
    edges = class_edges(np.geomspace(1, 100, 200), 2)
    assert edges[0] == 0 and np.isinf(edges[-1]) and 9 < edges[1] < 11
    assert list(difficulty_class([0.5, 5, 10.5, 1e6], edges)) == [0, 0, 1, 1]


# ------------------------------------------------------------------------------------------------ the objective
def test_robust_objective_on_a_toy_table():
    losses = [0.1, 0.3, 0.2, 0.6]
    classes = [0, 0, 1, 1]
    assert list(worst_case_by_class(losses, classes, 2)) == [0.3, 0.6]
    # regrets: 0.3 - 0.1 = 0.2 and 0.6 - 0.5 = 0.1: the easy class decides
    assert robust_objective(losses, classes, [0.1, 0.5]) == pytest.approx(0.2)
    assert robust_objective(losses, classes, [0.3, 0.2]) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="class 2 has no instance"):
        worst_case_by_class(losses, classes, 3)


def test_adversary_weights_favour_the_largest_regret():
    w = adversary_weights([0.0, 0.1, 0.5], temperature=0.1, uniform=0.3)
    assert w.sum() == pytest.approx(1.0)
    assert w[2] > w[1] > w[0] >= 0.1 - 1e-12
    with pytest.raises(ValueError):
        adversary_weights([0.0, 1.0], temperature=0.0, uniform=0.1)


# ------------------------------------------------------------------------------------------------ policies
def test_bisection_finds_a_noiseless_threshold_in_log2_queries():
    n = 16
    needed = math.ceil(math.log2(n + 1))                       # 17 thresholds -> 5 queries
    problem = NoisyThresholds(n, budget=needed, width=np.inf)
    inst = problem.instances(np.arange(n + 1), np.zeros(n + 1))
    out = simulate(problem, Bisection(), inst, torch.Generator().manual_seed(0))
    assert out.errors[:, needed].sum() == 0                    # every threshold found after 5 queries
    assert out.errors[:, needed - 1].sum() > 0                 # 4 queries cannot separate 17 thresholds
    repeated = simulate(NoisyThresholds(n, budget=3 * needed, width=np.inf), Bisection(repeats=3), inst,
                        torch.Generator().manual_seed(0))
    assert repeated.errors[:, -1].sum() == 0
    assert (repeated.actions[:, 0] == repeated.actions[:, 2]).all()   # each point asked three times in a row


def test_uncertainty_sampling_with_known_noise_beats_random_on_thresholds():
    problem = NoisyThresholds(16, budget=10, width=2.0)
    inst = problem.sample_instances(200, 0, levels=(0.0, 0.2))
    us = evaluate(problem, UncertaintySampling("known"), inst, 20, seed=1)[:, -1].mean()
    rnd = evaluate(problem, RandomPolicy(), inst, 20, seed=1)[:, -1].mean()
    assert us < 0.5 * rnd


def test_sequential_halving_schedule():
    problem = BestArmIdentification(4, budget=8)
    inst = problem.instances([[0.0, -5.0, -5.0, 3.0]])
    out = simulate(problem, SequentialHalving(), inst, torch.Generator().manual_seed(0))
    counts = np.bincount(out.actions[0].numpy(), minlength=4)
    assert list(out.actions[0, :4].numpy()) == [0, 1, 2, 3]    # round 1: every arm once
    assert list(counts) == [3, 1, 1, 3]                        # round 2: the two best twice each
    assert out.errors[0, -1] == 0


def test_round_robin_and_bandit_uncertainty_pull_every_arm_first():
    problem = BestArmIdentification(3, budget=6)
    inst = problem.sample_instances(5, 0)
    for policy in (RoundRobin(), UncertaintySampling()):
        out = simulate(problem, policy, inst, torch.Generator().manual_seed(1))
        assert all(sorted(row[:3].tolist()) == [0, 1, 2] for row in out.actions)


@pytest.mark.parametrize("make", ["thresholds", "twenty", "bandit"])
def test_batched_environment_equals_the_one_at_a_time_loop(make):
    if make == "thresholds":
        problem = NoisyThresholds(8, budget=6)
        policies = [RandomPolicy(), UncertaintySampling("known"), UncertaintySampling(0.1), Bisection(2)]
    elif make == "twenty":
        problem = NoisyTwentyQuestions(8, 5, budget=6, random_state=0)
        policies = [RandomPolicy(), UncertaintySampling("known"), Bisection()]
    else:
        problem = BestArmIdentification(4, budget=9)
        policies = [RandomPolicy(), UncertaintySampling(), RoundRobin(), SequentialHalving()]
    policies.append(PolicyNetwork(problem, hidden=(16,), seed=3))
    inst = problem.sample_instances(12, 4)
    for policy in policies:
        with torch.no_grad():
            batch = simulate(problem, policy, inst, torch.Generator().manual_seed(7))
            loop = simulate_loop(problem, policy, inst, torch.Generator().manual_seed(7))
        assert torch.equal(batch.actions, loop.actions), policy.name
        assert torch.equal(batch.errors, loop.errors), policy.name
        assert torch.allclose(batch.loss, loop.loss), policy.name
        assert torch.allclose(batch.log_prob, loop.log_prob, atol=1e-5), policy.name


def test_argmax_random_breaks_ties_uniformly():
    scores = torch.tensor([[1.0, 3.0, 3.0, 0.0, 3.0]]).repeat(3000, 1)
    picks = argmax_random(scores, torch.rand(3000, generator=torch.Generator().manual_seed(0)))
    counts = np.bincount(picks.numpy(), minlength=5)
    assert counts[0] == counts[3] == 0
    assert all(900 < c < 1100 for c in counts[[1, 2, 4]])


# ------------------------------------------------------------------------------------------------ training
def test_reinforce_learns_to_ask_the_informative_question():
    # two hypotheses; query 0 separates them, query 1 does not; one query allowed
    problem = HypothesisProblem([[0, 0], [1, 0]], budget=1, nominal_noise=0.1)
    policy = PolicyNetwork(problem, hidden=(8,), seed=0)
    optimizer = torch.optim.Adam(policy.parameters(), lr=0.05)
    generator, rng = torch.Generator().manual_seed(0), np.random.default_rng(0)
    for _ in range(60):
        reinforce_step(problem, policy, optimizer, problem.sample_instances(32, rng, levels=(0.0, 0.1)), 4,
                       generator)
    with torch.no_grad():
        p = torch.softmax(policy.logits(problem, problem.initial_state(1)), dim=1)[0, 0]
    assert p > 0.9


def test_robust_training_runs_and_logs_the_adversary():
    problem = NoisyThresholds(6, budget=4)
    setup = prepare("toy", problem, {"levels": (0.0, 0.3)}, n_classes=2, n_per_class=4, pool=200, seed=0)
    refs = references(setup, [RandomPolicy(), UncertaintySampling("known")], 8, seed=1)
    policy = PolicyNetwork(problem, hidden=(8,), seed=0)
    log = train_robust(problem, policy, setup.candidates, setup.classes, refs, n_updates=6, batch=8, repeats=2,
                       refresh=3, n_eval=4, seed=0)
    assert log.episodes == 6 * 8 * 2 + 2 * 8 * 4
    assert len(log.adversary) == 2 and log.adversary[0].shape == (8,)
    table, curves = scoreboard(setup, {("random", 0): RandomPolicy(), ("learned", 0): policy}, refs, 4, seed=2)
    assert list(table["policy"]) == ["random", "learned"]
    assert curves[("random", 0)].shape == (8, 5)


# ------------------------------------------------------------------------------------------------ input checks
def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="below 1"):
        check_budget(0)
    with pytest.raises(ValueError, match="below 1"):
        NoisyThresholds(8, budget=0)
    with pytest.raises(TypeError, match="integer"):
        BestArmIdentification(3, budget=2.5)
    with pytest.raises(ValueError, match="hypothesis set is empty"):
        HypothesisProblem(np.zeros((0, 3)), budget=3)
    with pytest.raises(ValueError, match="hypothesis set is empty"):
        NoisyTwentyQuestions(0, 4, budget=3)
    with pytest.raises(ValueError, match=r"\[0, 0.5\)"):
        check_noise_rate(0.5)
    with pytest.raises(ValueError, match=r"\[0, 0.5\)"):
        check_noise_rate(-0.1)
    with pytest.raises(ValueError, match=r"\[0, 0.5\)"):
        NoisyThresholds(8, budget=3, nominal_noise=0.7)
    with pytest.raises(ValueError, match=r"\[0, 0.5\)"):
        NoisyThresholds(8, budget=3).instances([2], [0.5])
    with pytest.raises(ValueError, match=r"\[0, 0.5\)"):
        UncertaintySampling(noise=0.6)
    with pytest.raises(ValueError, match="tell them apart"):
        HypothesisProblem([[0, 1], [0, 1]], budget=2)
    with pytest.raises(ValueError, match="only 0 and 1"):
        HypothesisProblem([[0, 2], [1, 1]], budget=2)
    with pytest.raises(ValueError, match="unique best arm"):
        BestArmIdentification(2, 4).instances([[1.0, 1.0]])
    with pytest.raises(TypeError, match="bandit"):
        simulate(NoisyThresholds(4, 2), SequentialHalving(), NoisyThresholds(4, 2).sample_instances(2, 0),
                 torch.Generator())
