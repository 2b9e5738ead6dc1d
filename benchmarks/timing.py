"""The benchmarks' one timer: the best wall-clock time of repeated calls (imported by the bench_*.py scripts)."""
from __future__ import annotations

import time

import torch


def _synchronise() -> None:
    if torch.cuda.is_available():  # CUDA kernels run asynchronously: stop the clock when they are done
        torch.cuda.synchronize()


def best_of(repeats: int, fn, warm_up: bool = False):
    """The best of ``repeats`` wall-clock times of ``fn()``, and the output of its last call.

    ``warm_up`` makes one untimed call first (library and device set-up). The best time, not the mean: on a shared
    machine the other jobs only ever add time.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warm_up:
        fn()
    best, out = float("inf"), None
    for _ in range(repeats):
        _synchronise()
        started = time.perf_counter()
        out = fn()
        _synchronise()
        best = min(best, time.perf_counter() - started)
    return best, out
