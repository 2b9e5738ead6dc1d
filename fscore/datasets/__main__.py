"""``python -m fscore.datasets list | fetch NAME... | fetch --all``: list, fetch and verify the data sets."""
from __future__ import annotations

import argparse
import sys

from fscore.datasets import REGISTRY, ChecksumMismatch, DatasetNotFound, info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fscore.datasets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered data sets")
    fetch = sub.add_parser("fetch", help="find, download where needed, and verify data sets")
    fetch.add_argument("names", nargs="*")
    fetch.add_argument("--all", action="store_true", help="every data set that has files to fetch")
    args = parser.parse_args(argv)
    if args.command == "list":
        print(info().to_string(index=False))
        return 0
    names = [n for n, d in REGISTRY.items() if d.fetch] if args.all else args.names
    if not names:
        parser.error("name a data set to fetch, or pass --all")
    failed = 0
    for name in names:
        dataset = REGISTRY.get(name)
        if dataset is None:
            print(f"unknown data set {name!r}; known: {', '.join(sorted(REGISTRY))}", file=sys.stderr)
            failed += 1
            continue
        if dataset.fetch is None:
            print(f"{name}: nothing to fetch ({dataset.provenance})")
            continue
        try:
            print(f"{name}: verified at {dataset.fetch()}")
        except DatasetNotFound as error:
            print(f"{name}: {error}", file=sys.stderr)
            failed += 1
        except ChecksumMismatch as error:  # present but not the data the book was checked with
            print(f"{name}: {error}" + (f"\n{name}: {dataset.fetch_hint}" if dataset.fetch_hint else ""),
                  file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
