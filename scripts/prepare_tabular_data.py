"""Rebuild data/dna, data/musk and data/khan from the packages they come from.

    python scripts/prepare_tabular_data.py [--sources DIR]

DNA and musk are R data files in Debian's r-cran-mlbench and r-cran-kernlab: the script downloads the
two .deb files with `apt-get download` and unpacks them with `dpkg-deb -x` into a temporary folder
(installing them would pull in R), then reads the .rda files with PyPI's `rdata`. Khan comes from
PyPI's ISLP: an installed ISLP is used if there is one, else its wheel is fetched with
`pip download --no-deps`. With --sources DIR, already-downloaded .deb and .whl files in DIR are used.
Prints each table's content sha256 (fscore.datasets.tabular.TABLES holds the expected ones).
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from fscore.datasets.tabular import TABLES, content_sha256  # noqa: E402

DEBS = {"dna": ("r-cran-mlbench", "mlbench/data/DNA.rda", "DNA"),
        "musk": ("r-cran-kernlab", "kernlab/data/musk.rda", "musk")}
ISLP_VERSION = "0.6.0"


def find_or_fetch(pattern: str, fetch: list[str], folder: Path) -> Path:
    """The first file matching ``pattern`` in ``folder``, running ``fetch`` there if there is none."""
    found = sorted(glob.glob(str(folder / pattern)))
    if not found:
        subprocess.run(fetch, cwd=folder, check=True)
        found = sorted(glob.glob(str(folder / pattern)))
    if not found:
        raise FileNotFoundError(f"no {pattern} in {folder} after running {' '.join(fetch)}")
    return Path(found[0])


def read_rda(deb: Path, member: str, name: str, work: Path) -> pd.DataFrame:
    import warnings

    import rdata

    warnings.filterwarnings("ignore", message="Unknown encoding", module="rdata")
    target = work / deb.stem
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    rda = target / "usr/lib/R/site-library" / member
    return rdata.conversion.convert(rdata.parser.parse_file(rda))[name]


def table_from_frame(frame: pd.DataFrame) -> dict:
    """Features as the smallest exact dtype, the last column ``Class`` as strings."""
    X = frame.drop(columns="Class").apply(lambda c: pd.to_numeric(c.astype(str))).to_numpy()
    for dtype in (np.uint8, np.int16):
        if np.array_equal(X, X.astype(dtype)):
            X = X.astype(dtype)
            break
    else:
        X = X.astype(np.float32)
    return {"X": X, "y": frame["Class"].astype(str).to_numpy().astype("U")}


def khan_folder(sources: Path, work: Path) -> Path:
    spec = importlib.util.find_spec("ISLP")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "data"
    wheel = find_or_fetch(f"[iI][sS][lL][pP]-{ISLP_VERSION}-*.whl", [sys.executable, "-m", "pip", "download",
                          "--no-deps", f"ISLP=={ISLP_VERSION}", "-d", str(sources)], sources)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(work / "islp", [m for m in archive.namelist() if m.startswith("ISLP/data/Khan_")])
    return work / "islp" / "ISLP" / "data"


def khan_table(folder: Path) -> dict:
    out = {}
    for split in ("train", "test"):
        out[f"X_{split}"] = pd.read_csv(folder / f"Khan_x{split}.csv").to_numpy(dtype=np.float32)
        out[f"y_{split}"] = pd.read_csv(folder / f"Khan_y{split}.csv").iloc[:, 0].astype(str).to_numpy().astype("U")
    return out


def write(name: str, arrays: dict) -> None:
    folder = ROOT / "data" / name
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / f"{name}.npz", **arrays)
    digest = content_sha256(arrays)
    status = "matches" if digest == TABLES[name][0] else "DIFFERS from"
    shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
    print(f"{name}: {shapes}; content sha256 {digest} ({status} fscore.datasets.tabular.TABLES)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, help="folder with the .deb and .whl files (downloads go there)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = (args.sources or work).resolve()
        sources.mkdir(parents=True, exist_ok=True)
        for name, (package, member, r_name) in DEBS.items():
            deb = find_or_fetch(f"{package}_*.deb", ["apt-get", "download", package], sources)
            write(name, table_from_frame(read_rda(deb, member, r_name, work)))
        write("khan", khan_table(khan_folder(sources, work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
