"""A registry of named data sets: loader, provenance, licence, and how to fetch what is missing."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


class DatasetNotFound(FileNotFoundError):
    """A data set is not on this machine; the message names the command that fetches it."""


class ChecksumMismatch(ValueError):
    """A data file is present but its content is not the one the book was checked with."""


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    provenance: str
    licence: str
    loader: Callable = field(repr=False)
    fetch: Callable | None = field(default=None, repr=False)
    fetch_hint: str = ""


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    if dataset.name in REGISTRY:
        raise ValueError(f"data set {dataset.name!r} is registered twice")
    REGISTRY[dataset.name] = dataset
    return dataset


def get(name: str) -> Dataset:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def load(name: str, **kwargs):
    """Load a registered data set by name (keyword arguments go to its loader)."""
    return get(name).loader(**kwargs)


def info():
    """A DataFrame of every registered data set with its provenance and licence."""
    import pandas as pd

    return pd.DataFrame([{"name": d.name, "description": d.description, "provenance": d.provenance,
                          "licence": d.licence} for d in REGISTRY.values()])


def sha256_of(path: Path, decompress: bool = False) -> str:
    """SHA-256 of a file's bytes, or of its gzip-decompressed content."""
    import gzip

    opener = gzip.open if decompress else open
    digest = hashlib.sha256()
    with opener(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str, decompress: bool = False) -> Path:
    actual = sha256_of(path, decompress)
    if actual != expected:
        raise ChecksumMismatch(f"{path}: sha256 {actual} is not the expected {expected}; "
                               f"delete the file and fetch it again")
    return path
