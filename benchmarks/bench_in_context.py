"""Chapter 17's models on the CPU: meta-training steps per second, and one LSA layer against an explicit GD step.

* *Transformer*: optimiser steps per second of ``fscore.nn.CausalTransformer`` meta-trained on GPICL sequences
  (``fscore.queries.gpicl.meta_train``), at the size the chapter runs on a CPU (8 principal components of the
  digits, pair tokens, width 32, one layer, sequences of 20, meta-batch 32) and at the paper-shaped size the chapter
  would run on a GPU (64 pixels, width 256, 4 layers, sequences of 100, meta-batch 128), timed here on the CPU.
* *LSA vs GD*: the forward pass of one constructed linear self-attention layer (``constructed_stack``) against one
  explicit, batched gradient-descent step (``gd_predictions``) on the same 10,000 regression tasks (d = n = 10,
  float64): the time ratio LSA / GD, and whether the two agree to 1e-10.

    python benchmarks/bench_in_context.py [--threads 1] [--repeats 5]
"""
from __future__ import annotations

import argparse
import time

import torch
from sklearn.decomposition import PCA

from fscore.datasets import load_digits_data
from fscore.nn.transformer import CausalTransformer
from fscore.queries.gpicl import TaskFamily, meta_train
from fscore.queries.in_context import constructed_stack, gd_predictions, lsa_predictions, regression_tasks
from fscore.results import write_benchmark
from fscore.runtime import set_threads
from timing import best_of


def steps_per_second(family, model_kwargs, steps, batch_size, length):
    model = CausalTransformer(family.n_in, family.n_classes, max_len=length, seed=0, **model_kwargs)
    meta_train(model, family, None, steps=2, batch_size=batch_size, length=length, seed=1)   # warm-up
    started = time.perf_counter()
    meta_train(model, family, None, steps=steps, batch_size=batch_size, length=length, seed=2)
    return steps / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    threads = set_threads(args.threads)
    X, y = load_digits_data()
    ratios, better = {}, {}

    small = TaskFamily(PCA(8, random_state=0).fit_transform(X), y, pair_tokens=True)
    rate = steps_per_second(small, dict(d_model=32, n_layers=1, n_heads=4), steps=200, batch_size=32, length=20)
    key = "CausalTransformer, chapter's CPU size (width 32, 1 layer, 20 x 32 sequences): meta-training steps/s"
    ratios[key], better[key] = rate, "higher"
    print(f"{key}: {rate:.1f}")
    paper = TaskFamily(X, y)
    rate = steps_per_second(paper, dict(d_model=256, n_layers=4, n_heads=8), steps=3, batch_size=128, length=100)
    key = "CausalTransformer, paper-shaped size (width 256, 4 layers, 100 x 128 sequences) on CPU: steps/s"
    ratios[key], better[key] = rate, "higher"
    print(f"{key}: {rate:.2f}")

    tasks = regression_tasks(10_000, 10, 10, torch.Generator().manual_seed(0), dtype=torch.float64)
    layer = constructed_stack(10, 10, 6.0, 1)
    with torch.no_grad():
        lsa_t, lsa = best_of(args.repeats, lambda: lsa_predictions(layer, tasks)[0])
        gd_t, gd = best_of(args.repeats, lambda: gd_predictions(tasks, 6.0, 1)[0])
    equal = float((lsa - gd).abs().max() <= 1e-10)
    key = "one constructed LSA layer / one explicit batched GD step, 10,000 tasks (d = n = 10), time"
    ratios[key] = lsa_t / gd_t
    print(f"{key}: {lsa_t * 1e3:.2f} ms / {gd_t * 1e3:.2f} ms = {lsa_t / gd_t:.2f}")
    key_equal = "one constructed LSA layer equals one GD step (max difference <= 1e-10)"
    ratios[key_equal], better[key_equal] = equal, "higher"
    note = (f"{threads} thread(s); steps/s are absolute rates, not ratios (higher is faster); LSA/GD best of "
            f"{args.repeats}")
    print(f"\nrecorded in {write_benchmark('in_context', ratios, note=note, better=better)}")


if __name__ == "__main__":
    main()
