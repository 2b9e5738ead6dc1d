"""Twemoji image-name pairs: the 1,911 emoji of npm ``emoji-datasource-twitter`` as 64x64 pictures with their names.

Real image-text pairs that can be had offline: each emoji's Twitter/X picture (Twemoji, CC-BY 4.0) with its
Unicode name ("GRINNING FACE"), short name, category ("Smileys & Emotion", nine of them plus "Component") and
subcategory, from the ``emoji-datasource-twitter`` package (iamcal/emoji-data, MIT) at a pinned version. Skin-tone
variants are not included: one picture an emoji.

:func:`fetch` gets the package tarball from the npm registry (``npm pack``, or a plain download of the same
tarball when ``npm`` is not installed), checks it against its pinned registry integrity hash, and extracts
``emoji.json``, the licence and the 1,911 pictures into ``$FSCORE_DATA/twemoji`` if ``FSCORE_DATA`` is set, else
``~/.cache/fscore/twemoji``. The loader looks in both and verifies a sha256 over the extracted content.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fscore.datasets.registry import ChecksumMismatch, Dataset, DatasetNotFound, register

PACKAGE = "emoji-datasource-twitter"
VERSION = "16.0.0"
TARBALL_URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
#: the npm registry's integrity hash of the tarball (``npm view emoji-datasource-twitter@16.0.0 dist.integrity``)
INTEGRITY = "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ=="
#: sha256 over ``emoji.json`` and every extracted picture, in sorted order (see :func:`content_sha256`)
CONTENT_SHA256 = "6be4ba7eb02218a99a3aec2d29e95306f691ca0b5d486016c0a8971e9c6b8c4f"
N_EMOJI = 1911
CATEGORIES = ("Smileys & Emotion", "People & Body", "Component", "Animals & Nature", "Food & Drink",
              "Travel & Places", "Activities", "Objects", "Symbols", "Flags")
HINT = (f"the Twemoji pictures are not on this machine. Run `python -m fscore.datasets fetch twemoji` (it fetches "
        f"{PACKAGE}@{VERSION} from the npm registry, with or without npm), or put the folder it makes in "
        f"$FSCORE_DATA/twemoji.")


def candidate_folders() -> list[Path]:
    folders = []
    if os.environ.get("FSCORE_DATA"):
        folders.append(Path(os.environ["FSCORE_DATA"]) / "twemoji")
    folders.append(Path.home() / ".cache" / "fscore" / "twemoji")
    return folders


def _entries(folder: Path) -> list[dict]:
    with open(folder / "emoji.json", encoding="utf-8") as handle:
        return [e for e in json.load(handle) if e.get("has_img_twitter")]


def content_sha256(folder: Path) -> str:
    """sha256 over ``emoji.json`` and, in sorted order, each picture's file name and bytes."""
    digest = hashlib.sha256((folder / "emoji.json").read_bytes())
    for name in sorted(e["image"] for e in _entries(folder)):
        digest.update(name.encode())
        digest.update((folder / "64" / name).read_bytes())
    return digest.hexdigest()


def locate() -> Path:
    """The first folder that holds the extracted package, or :class:`DatasetNotFound`."""
    for folder in candidate_folders():
        if (folder / "emoji.json").is_file() and (folder / "64").is_dir():
            return folder
    raise DatasetNotFound(HINT + " Looked in: " + ", ".join(map(str, candidate_folders())))


@functools.lru_cache(maxsize=None)
def _verified(folder: Path) -> Path:
    try:
        actual = content_sha256(folder)
    except FileNotFoundError as error:
        raise ChecksumMismatch(f"{folder} is incomplete ({error}); delete it and fetch it again") from None
    if actual != CONTENT_SHA256:
        raise ChecksumMismatch(f"{folder}: content sha256 {actual} is not the expected {CONTENT_SHA256}; "
                               f"delete the folder and fetch it again")
    return folder


def _download_tarball(destination: Path) -> Path:
    tarball = destination / f"{PACKAGE}-{VERSION}.tgz"
    if shutil.which("npm"):
        subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}"], cwd=destination, check=True,
                       stdout=subprocess.DEVNULL)
    else:  # the same tarball, straight from the npm registry
        urllib.request.urlretrieve(TARBALL_URL, tarball)
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != INTEGRITY:
        raise ChecksumMismatch(f"{tarball.name} has integrity {digest}, not the pinned {INTEGRITY}")
    return tarball


def fetch() -> Path:
    """Find and verify the Twemoji pictures, fetching them from the npm registry if no local copy exists."""
    try:
        return _verified(locate())
    except DatasetNotFound:
        pass
    target = candidate_folders()[0]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            tarball = _download_tarball(Path(tmp))
        except (OSError, subprocess.CalledProcessError) as error:
            raise DatasetNotFound(f"{HINT} (fetching {TARBALL_URL} failed: {error})") from None
        staging = Path(tmp) / "twemoji"
        (staging / "64").mkdir(parents=True)
        with tarfile.open(tarball, "r:gz") as archive:
            for name in ("emoji.json", "LICENSE"):
                (staging / name).write_bytes(archive.extractfile(f"package/{name}").read())
            for entry in _entries(staging):
                member = archive.extractfile(f"package/img/twitter/64/{entry['image']}")
                (staging / "64" / entry["image"]).write_bytes(member.read())
        _verified.__wrapped__(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(staging), str(target))
    return _verified(target)


@dataclass(frozen=True)
class Twemoji:
    """Emoji pictures with their names.

    Attributes
    ----------
    images : ndarray of float32 in [0, 1]
        ``(n, size, size, 3)`` RGB, or ``(n, size, size)`` when loaded with ``grey=True``; transparent parts are
        composited onto the ``background`` grey level.
    names : ndarray of str
        Lower-case Unicode names, e.g. ``"grinning face"`` (flags: ``"flag of france"``-style as in the data,
        lower-cased).
    short_names, categories, subcategories, codes : ndarray of str
        Slack-style short name, the Unicode category and subcategory, and the code points (``"1F600"``).
    """

    images: np.ndarray
    names: np.ndarray
    short_names: np.ndarray
    categories: np.ndarray
    subcategories: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


@functools.lru_cache(maxsize=4)
def _decode(folder: Path, size: int, background: float) -> tuple[np.ndarray, tuple[dict, ...]]:
    from PIL import Image

    entries = sorted(_entries(folder), key=lambda e: e["sort_order"])
    images = np.empty((len(entries), size, size, 3), dtype=np.float32)
    for i, entry in enumerate(entries):
        with Image.open(folder / "64" / entry["image"]) as picture:
            rgba = picture.convert("RGBA")
            if size != rgba.width:
                rgba = rgba.resize((size, size), Image.Resampling.LANCZOS)
            array = np.asarray(rgba, dtype=np.float32) / 255.0
        alpha = array[..., 3:]
        images[i] = array[..., :3] * alpha + background * (1.0 - alpha)
    images.setflags(write=False)
    return images, tuple(entries)


def load_twemoji(size: int = 64, grey: bool = False, background: float = 1.0, categories=None) -> Twemoji:
    """The 1,911 Twemoji pictures (in the Unicode sort order) with names and categories.

    Parameters
    ----------
    size : int
        Side of the returned square images (64 is the original; smaller sizes are Lanczos-resampled).
    grey : bool
        Convert to grey levels (ITU-R 601 luma) and drop the channel axis.
    background : float in [0, 1]
        Grey level that transparent pixels are composited onto (1 white, 0 black).
    categories : iterable of str or None
        Keep only these categories (names as in :data:`CATEGORIES`).

    Returns
    -------
    Twemoji
        A fresh copy of the arrays; raises :class:`DatasetNotFound` naming the fetch command when absent.
    """
    if not isinstance(size, (int, np.integer)) or not 4 <= size <= 64:
        raise ValueError(f"size must be an integer between 4 and 64, got {size!r}")
    if not 0.0 <= float(background) <= 1.0:
        raise ValueError(f"background must be a grey level in [0, 1], got {background!r}")
    images, entries = _decode(_verified(locate()), int(size), float(background))
    keep = np.arange(len(entries))
    if categories is not None:
        categories = [categories] if isinstance(categories, str) else list(categories)
        unknown = sorted(set(categories) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {list(CATEGORIES)}")
        keep = np.array([i for i, e in enumerate(entries) if e["category"] in categories], dtype=int)
    chosen = images[keep]
    if grey:
        chosen = chosen @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    column = lambda key: np.array([entries[i][key] for i in keep], dtype=str)  # noqa: E731
    return Twemoji(images=np.ascontiguousarray(chosen, dtype=np.float32),
                   names=np.char.lower(column("name")), short_names=column("short_name"),
                   categories=column("category"), subcategories=column("subcategory"), codes=column("unified"))


register(Dataset(
    name="twemoji",
    description=f"{N_EMOJI} emoji pictures (64x64 RGBA) with Unicode names, categories and subcategories",
    provenance=f"npm {PACKAGE}@{VERSION} (iamcal/emoji-data); pictures: Twemoji by Twitter, jdecked/twemoji",
    licence="pictures CC-BY 4.0 (Twitter, Inc. and other contributors); metadata MIT (Cal Henderson)",
    loader=load_twemoji,
    fetch=fetch,
    fetch_hint=HINT,
))
