"""Scale, device, seeds and threads: what every chapter sets up before it runs.

A chapter starts with ``run = fscore.start("ch01_linear_selection", scale=SCALE, seed=SEED)``.
The returned :class:`Run` knows its scale (``quick`` on a CPU in under a minute, ``full`` for the
paper-sized run), its device and seed, picks scale-dependent settings with :meth:`Run.pick`, and
records the chapter's reproduction claims (see :mod:`fscore.claims`).
"""
from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch

SCALES = ("quick", "full")


def default_scale() -> str:
    """``FSCORE_SCALE`` if set, else ``full`` where CUDA is available and ``quick`` otherwise."""
    scale = os.environ.get("FSCORE_SCALE", "").strip().lower()
    if scale:
        return check_scale(scale)
    return "full" if torch.cuda.is_available() else "quick"


def check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r} (set FSCORE_SCALE=quick or full)")
    return scale


def default_device() -> torch.device:
    """``FSCORE_DEVICE`` if set, else the first CUDA GPU, else the CPU."""
    name = os.environ.get("FSCORE_DEVICE", "").strip()
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_description(device: torch.device) -> str:
    """A human-readable name of the device, recorded beside every result."""
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return f"cpu:{platform.processor() or platform.machine()} x{os.cpu_count()}"


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch so that a rerun gives identical numbers; return a NumPy Generator."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


def set_threads(n: int | None = None) -> int:
    """Use ``n`` CPU threads in torch (default ``FSCORE_THREADS`` or every core)."""
    n = n or int(os.environ.get("FSCORE_THREADS", 0)) or os.cpu_count() or 1
    torch.set_num_threads(n)
    return n


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

    def claim(self, *args, **kwargs):
        """Record a reproduction claim; see :func:`fscore.claims.record`."""
        from fscore.claims import record

        return record(self, *args, **kwargs)

    def report(self):
        """Write the results, show paper / committed full run / this run, fail on a broken claim."""
        from fscore.claims import report

        return report(self)


def start(chapter: str, scale: str | None = None, seed: int = 0, device: str | None = None) -> Run:
    """Set up a chapter's run and print the scale, device and seed it runs with."""
    if not chapter or not isinstance(chapter, str):
        raise ValueError("chapter must be a non-empty name such as 'ch01_linear_selection'")
    scale = check_scale(scale) if scale else default_scale()
    dev = torch.device(device) if device else default_device()
    threads = set_threads()
    rng = seed_everything(seed)
    run = Run(chapter=chapter, scale=scale, seed=int(seed), device=dev, threads=threads, rng=rng)
    print(f"{chapter}: scale={scale}  device={device_description(dev)}  seed={seed}  threads={threads}")
    return run
