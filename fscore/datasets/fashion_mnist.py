"""Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 70,000 28x28 grey images of clothing in 10 classes.

Looked for, in order, in ``$FSCORE_DATA/fashion-mnist``, in Debian's ``dataset-fashion-mnist``
package (``/usr/share/datasets/fashion-mnist``) and in ``~/.cache/fscore/fashion-mnist``; on a
machine with internet, :func:`fetch` downloads it from its canonical address into the cache.
Checksums are of the decompressed idx files, so Debian's recompressed copies verify too.
"""
from __future__ import annotations

import functools
import gzip
import os
import urllib.request
from pathlib import Path

import numpy as np

from fscore.datasets.registry import Dataset, DatasetNotFound, register, verify

URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FILES = {  # sha256 of the decompressed idx content
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")
HINT = ("Fashion-MNIST is not on this machine. Install it with `sudo apt-get install dataset-fashion-mnist`, "
        "or run `python -m fscore.datasets fetch fashion-mnist` on a machine with internet, or put the four "
        "idx .gz files in $FSCORE_DATA/fashion-mnist.")


def candidate_folders() -> list[Path]:
    folders = []
    if os.environ.get("FSCORE_DATA"):
        folders.append(Path(os.environ["FSCORE_DATA"]) / "fashion-mnist")
    folders += [Path("/usr/share/datasets/fashion-mnist"), Path.home() / ".cache" / "fscore" / "fashion-mnist"]
    return folders


def locate() -> Path:
    """The first folder that holds all four files, or :class:`DatasetNotFound`."""
    for folder in candidate_folders():
        if all((folder / name).is_file() for name in FILES):
            return folder
    raise DatasetNotFound(HINT + " Looked in: " + ", ".join(map(str, candidate_folders())))


@functools.lru_cache(maxsize=None)
def _verified(folder: Path) -> Path:
    for name, digest in FILES.items():
        verify(folder / name, digest, decompress=True)
    return folder


def fetch() -> Path:
    """Find and verify Fashion-MNIST, downloading it into the cache if no local copy exists."""
    try:
        return _verified(locate())
    except DatasetNotFound:
        pass
    target = Path.home() / ".cache" / "fscore" / "fashion-mnist"
    target.mkdir(parents=True, exist_ok=True)
    for name, digest in FILES.items():
        try:
            urllib.request.urlretrieve(URL + name, target / (name + ".part"))
        except OSError as error:
            raise DatasetNotFound(f"{HINT} (download from {URL} failed: {error})") from None
        (target / (name + ".part")).rename(target / name)
        verify(target / name, digest, decompress=True)
    return _verified(target)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


@functools.lru_cache(maxsize=2)
def _load_raw(split: str):
    folder = _verified(locate())
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
    return images.reshape(len(images), -1), labels.astype(np.int64)


def load_fashion_mnist(split: str = "train", n: int | None = None, random_state=None):
    """Images as float32 in [0, 1], shape (n, 784), and integer labels.

    ``n`` draws a class-stratified random subset of that size (``random_state`` seeds it).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    X, y = _load_raw(split)
    if n is not None:
        if not 1 <= n <= len(y):
            raise ValueError(f"n={n} is out of range for the {split} split of {len(y)} images")
        if n < len(y):
            from sklearn.model_selection import train_test_split

            idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=random_state)
            X, y = X[np.sort(idx)], y[np.sort(idx)]
    return X.astype(np.float32) / 255.0, y.copy()


register(Dataset(
    name="fashion-mnist",
    description="70,000 28x28 grey images of clothing, 10 classes (60,000 train / 10,000 test)",
    provenance="Xiao, Rasul & Vollgraf (2017), github.com/zalandoresearch/fashion-mnist; "
               "Debian package dataset-fashion-mnist",
    licence="MIT (Expat)",
    loader=load_fashion_mnist,
    fetch=fetch,
    fetch_hint=HINT,
))
