"""Episodes per second of Chapter 16's batched simulator against a plain one-episode-at-a-time loop.

The same policy plays the same episodes from the same random numbers in both (``fscore.queries.problems.simulate``
advances every episode together as tensors; ``simulate_loop`` runs them one after the other), and the two must
agree exactly. For each problem and policy (the learned policy network, and uncertainty sampling with the known
noise): the time ratio batched / loop per episode (lower = batched faster) and the throughput of each.

    python benchmarks/bench_active_learning.py [--episodes 2048] [--loop-episodes 128]
"""
from __future__ import annotations

import argparse

import torch

from fscore.queries.policies import PolicyNetwork, UncertaintySampling
from fscore.queries.problems import BestArmIdentification, NoisyThresholds, NoisyTwentyQuestions, simulate, \
    simulate_loop
from fscore.results import write_benchmark
from fscore.runtime import set_threads
from timing import best_of


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2048, help="episodes of the batched run")
    parser.add_argument("--loop-episodes", type=int, default=128, help="episodes of the one-at-a-time loop")
    args = parser.parse_args()
    threads = set_threads()
    problems = {"thresholds (16 points, T=12)": NoisyThresholds(16, budget=12),
                "20 questions (16 x 16, T=12)": NoisyTwentyQuestions(16, 16, budget=12, p_yes=0.25, random_state=0),
                "best arm (5 arms, T=25)": BestArmIdentification(5, budget=25)}
    ratios, better = {}, {}
    print(f"threads={threads}; batched: {args.episodes} episodes at once; loop: {args.loop_episodes} one at a time\n")
    print(f"{'problem':<30} {'policy':<26} {'batched ep/s':>13} {'loop ep/s':>10} {'time ratio':>11} {'equal':>6}")
    for name, problem in problems.items():
        policies = [PolicyNetwork(problem, seed=0, name="policy network")]
        if problem.kind == "hypotheses":
            policies.append(UncertaintySampling("known"))
        instances = problem.sample_instances(args.episodes, 0)
        for policy in policies:
            with torch.no_grad():
                batch_t, _ = best_of(1, lambda: simulate(problem, policy, instances, torch.Generator().manual_seed(0)))
                head = instances[list(range(args.loop_episodes))]
                loop_t, loop = best_of(1, lambda: simulate_loop(problem, policy, head, torch.Generator().manual_seed(1)))
                check = simulate(problem, policy, head, torch.Generator().manual_seed(1))
            equal = bool(torch.equal(check.actions, loop.actions) and torch.equal(check.errors, loop.errors))
            batched_rate, loop_rate = args.episodes / batch_t, args.loop_episodes / loop_t
            key = f"{name}, {policy.name}"
            ratios[f"{key}: batched / one-at-a-time, time per episode"] = loop_rate / batched_rate
            ratios[f"{key}: batched and loop agree exactly"] = float(equal)
            better[f"{key}: batched and loop agree exactly"] = "higher"
            print(f"{name:<30} {policy.name:<26} {batched_rate:>13,.0f} {loop_rate:>10,.0f} "
                  f"{loop_rate / batched_rate:>11.4f} {str(equal):>6}")
    note = (f"{threads} thread(s); batched {args.episodes} episodes, loop {args.loop_episodes}; time ratio = time per "
            f"episode batched / one at a time (lower = batched faster); agree: 1 when both give the same queries and "
            f"errors from the same random numbers")
    print(f"\nrecorded in {write_benchmark('active_learning', ratios, note=note, better=better)}")


if __name__ == "__main__":
    main()
