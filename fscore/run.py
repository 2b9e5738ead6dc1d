"""One execution of a chapter: ``run = fscore.start("ch01_linear_selection", scale=SCALE, seed=SEED)``.

The returned :class:`Run` knows its scale, device and seed, picks scale-dependent settings with
:meth:`Run.pick`, and records the chapter's reproduction claims (:mod:`fscore.claims`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from fscore import claims
from fscore.runtime import check_scale, default_device, default_scale, device_description, seed_everything, set_threads


@dataclass
class Run:
    """One execution of a chapter: its scale, device, seed, claims and timing."""

    chapter: str
    scale: str
    seed: int
    device: torch.device
    threads: int
    rng: np.random.Generator = field(repr=False)
    started: float = field(default_factory=time.perf_counter, repr=False)
    claims: list = field(default_factory=list, repr=False)

    def pick(self, quick, full):
        """The setting for this run's scale: ``run.pick(quick=10, full=50)``."""
        return quick if self.scale == "quick" else full

    @property
    def wall_time(self) -> float:
        return time.perf_counter() - self.started

    def claim(self, *args, **kwargs) -> claims.Claim:
        """Record a reproduction claim; see :func:`fscore.claims.record`."""
        return claims.record(self, *args, **kwargs)

    def report(self) -> None:
        """Write the results, show paper / committed full run / this run, fail on a broken claim."""
        claims.report(self)


def start(chapter: str, scale: str | None = None, seed: int = 0, device: str | None = None,
          threads: int | None = None) -> Run:
    """Set up a chapter's run and print the scale, device and seed it runs with.

    ``threads`` pins torch's CPU threads (default ``FSCORE_THREADS`` or every core). A chapter whose numbers
    must not depend on the machine pins it: a float reduction split over a different number of threads rounds
    differently, and a long training run can amplify that into a different result.
    """
    if not chapter or not isinstance(chapter, str):
        raise ValueError("chapter must be a non-empty name such as 'ch01_linear_selection'")
    scale = check_scale(scale) if scale else default_scale()
    dev = torch.device(device) if device else default_device()
    threads = set_threads(threads)
    rng = seed_everything(seed)
    run = Run(chapter=chapter, scale=scale, seed=int(seed), device=dev, threads=threads, rng=rng)
    print(f"{chapter}: scale={scale}  device={device_description(dev)}  seed={seed}  threads={threads}")
    return run
