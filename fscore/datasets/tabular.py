"""Real tabular data sets with many features, committed under ``data/<name>/<name>.npz``.

They stand in for the paper's datasets that cannot be had offline (Yasuda et al., ICLR 2023, Sec. 4:
MNIST, ISOLET, COIL-20, Mice Protein, Human Activity Recognition). ``scripts/prepare_tabular_data.py``
rebuilds the files from Debian's ``r-cran-mlbench`` and ``r-cran-kernlab`` and PyPI's ``ISLP``. The
checksum is the sha256 of the arrays' content (names, dtypes, shapes and bytes), so a rebuild verifies
even though the zip container records its own timestamps.
"""
from __future__ import annotations

import functools
import hashlib

import numpy as np

from fscore.datasets.registry import ChecksumMismatch, Dataset, DatasetNotFound, register
from fscore.paths import data_dir

REBUILD = "python scripts/prepare_tabular_data.py"

#: name -> (sha256 of the content, description, provenance, licence, stands in for)
TABLES = {
    "dna": ("8078a33fd948724cc5133caac6c0239ac4c494628e859022e07df645c4e4d599",
            "3,186 DNA sequences, 180 binary indicator features, 3 classes (splice junction types)",
            "StatLog DNA (UCI Molecular Biology splice-junction data), R package mlbench 2.1-3, "
            "Debian r-cran-mlbench", "GPL-2 (mlbench)", "ISOLET / Human Activity Recognition (many features, "
            "several classes, thousands of examples)"),
    "musk": ("a79353f3730e2c1d316742abe48e71220415752e2aabab76612f3abb6321074a",
             "476 molecule conformations, 166 shape features, 2 classes (musk or not)",
             "UCI Musk (version 1), R package kernlab 0.9-32, Debian r-cran-kernlab", "GPL-2+ (kernlab)",
             "Mice Protein (a few hundred examples)"),
    "khan": ("5274d87a33d4edbaf4cbf8f888c63a98aec5f338f7d9e03ec83045acaca188f8",
             "83 tissue samples, 2,308 gene-expression features, 4 tumour classes (63 train / 20 test)",
             "Khan et al. (Nature Medicine, 2001), PyPI ISLP 0.6.0 (Khan_xtrain/xtest/ytrain/ytest.csv)",
             "BSD-2-Clause (ISLP)", "COIL-20 (many features, few examples per class)"),
}


def content_sha256(arrays: dict) -> str:
    """sha256 over each array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def path(name: str):
    return data_dir() / name / f"{name}.npz"


@functools.lru_cache(maxsize=None)
def _arrays(name: str) -> dict:
    file = path(name)
    if not file.is_file():
        raise DatasetNotFound(f"{file} is missing: rebuild it with `{REBUILD}` (needs apt-get and pip).")
    with np.load(file, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    actual = content_sha256(arrays)
    if actual != TABLES[name][0]:
        raise ChecksumMismatch(f"{file}: content sha256 {actual} is not the expected {TABLES[name][0]}; "
                               f"rebuild it with `{REBUILD}`")
    return arrays


def fetch(name: str):
    """Verify a committed table; return its path (there is nothing to download: it ships with the book)."""
    _arrays(name)
    return path(name)


def load_table(name: str, split: str | None = None):
    """``X`` (float32) and labels ``y`` (strings) of a committed table; ``split`` for tables that ship one."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(sorted(TABLES))}")
    arrays = _arrays(name)
    if split is None:
        if "X" not in arrays:
            raise ValueError(f"{name} ships a train/test split: pass split='train' or split='test'")
        return arrays["X"].astype(np.float32), arrays["y"].copy()
    if split not in ("train", "test") or f"X_{split}" not in arrays:
        raise ValueError(f"{name} has no split {split!r}")
    return arrays[f"X_{split}"].astype(np.float32), arrays[f"y_{split}"].copy()


def load_dna():
    """StatLog DNA: ``X`` (3186, 180) in {0, 1} and labels ``ei``, ``ie``, ``n``."""
    return load_table("dna")


def load_musk():
    """Musk version 1: ``X`` (476, 166) molecule shape features and labels ``0``/``1``."""
    return load_table("musk")


def load_khan(split: str = "train"):
    """Khan gene expression with its own split: ``X`` (63 or 20, 2308) and tumour classes ``1``..``4``."""
    return load_table("khan", split)


for _name, _loader in (("dna", load_dna), ("musk", load_musk), ("khan", load_khan)):
    _digest, _description, _provenance, _licence, _stands_in = TABLES[_name]
    register(Dataset(name=_name, description=f"{_description}; stands in for {_stands_in}", provenance=_provenance,
                     licence=_licence, loader=_loader, fetch=functools.partial(fetch, _name),
                     fetch_hint=f"committed under data/{_name}/; rebuild with `{REBUILD}`"))
