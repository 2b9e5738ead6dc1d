"""Scale, device, seeds and threads: the environment every chapter reads before it runs.

``quick`` runs on a CPU in under a minute; ``full`` is the paper-sized run. :func:`fscore.start`
(:mod:`fscore.run`) uses these to set up a chapter.
"""
from __future__ import annotations

import os
import platform
import random

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
