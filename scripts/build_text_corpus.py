#!/usr/bin/env python3
"""Rebuild data/text-corpus/corpus.jsonl.gz, the multi-domain corpus of Chapter 7, from Debian packages.

    python scripts/build_text_corpus.py [--max-docs-per-domain 1500] [--seed 0]

Downloads the packages with ``apt-get download`` (no installation) into a temporary folder, unpacks
them with ``dpkg-deb -x``, cuts each domain into documents of about 150-400 words, removes exact
duplicates, keeps a seeded subset per domain and writes the gzip (mtime 0, so reruns are byte-identical)
and data/text-corpus/README.md with provenance, licences, counts and the sha256 the loader checks.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from fscore.datasets.text_corpus import DOMAINS, FILE  # noqa: E402

PACKAGES = ["fortunes", "fortunes-min", "python3.11-doc", "perl-doc", "bible-kjv", "bible-kjv-text",
            "dict-jargon", "dict-devil", "dict-foldoc", "dict-gcide"]
MIN_WORDS, MAX_WORDS = 150, 400


def unpack(workdir: Path) -> Path:
    """Download the packages and extract them under ``workdir/root``."""
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=workdir, check=True)
    root = workdir / "root"
    for deb in sorted(workdir.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def pack(paragraphs, min_words=MIN_WORDS, max_words=MAX_WORDS):
    """Pack consecutive paragraphs into documents of at least ``min_words`` words (long ones are cut)."""
    doc, size = [], 0
    for paragraph in paragraphs:
        words = paragraph.split()
        for start in range(0, len(words), max_words):
            piece = words[start:start + max_words]
            doc.append(paragraph if len(words) <= max_words else " ".join(piece))
            size += len(piece)
            if size >= min_words:
                yield "\n\n".join(doc)
                doc, size = [], 0
    if doc:
        yield "\n\n".join(doc)  # the short tail: the minimum-length filter has something to remove


def paragraphs_of(text: str):
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def fortunes(root: Path):
    folder = root / "usr/share/games/fortunes"
    for file in sorted(folder.iterdir()):
        if file.suffix in (".dat", ".u8") or file.is_symlink() or not file.is_file():
            continue
        quotes = [q.strip("\n") for q in file.read_text("utf-8", errors="replace").split("\n%\n") if q.strip()]
        yield from ((file.name, doc) for doc in pack(quotes))


def python_docs(root: Path):
    folder = root / "usr/share/doc/python3.11/html/_sources"
    for file in sorted(folder.rglob("*.rst.txt")):
        category = file.relative_to(folder).parts[0].removesuffix(".rst.txt")
        yield from ((category, doc) for doc in pack(paragraphs_of(file.read_text("utf-8", errors="replace"))))


def perl_pod(root: Path):
    for file in sorted((root / "usr/share/perl").rglob("pod/*.pod")):
        yield from ((file.stem, doc) for doc in pack(paragraphs_of(file.read_text("utf-8", errors="replace"))))


def bible(root: Path):
    """Verses from the ``bible`` tool run on the unpacked data file, packed within each book."""
    out = subprocess.run([str(root / "usr/bin/bible"), "-p", str(root / "usr/lib"), "-f", "Gen1:1-Rev22:21"],
                         capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL).stdout
    books: dict[str, list[str]] = {}
    for line in out.splitlines():
        match = re.match(r"^(\d?[A-Za-z]+)\d+:\d+\s+(.*)$", line)
        if match:
            books.setdefault(match.group(1), []).append(match.group(2))
    for book, verses in books.items():
        yield from ((book, doc) for doc in pack(verses))


def _b64(value: str) -> int:
    """dictd's base-64 numbers (alphabet A-Za-z0-9+/, most significant digit first)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    number = 0
    for char in value:
        number = number * 64 + alphabet.index(char)
    return number


def dictionary(name: str):
    def read(root: Path):
        folder = root / "usr/share/dictd"
        data = gzip.decompress((folder / f"{name}.dict.dz").read_bytes())  # dictzip is gzip-compatible
        entries = []
        for line in (folder / f"{name}.index").read_text("utf-8", errors="replace").splitlines():
            head, offset, length = line.split("\t")[:3]
            if head.startswith("00-database") or head.startswith("00database"):
                continue
            entries.append((_b64(offset), _b64(length)))
        texts = [data[o:o + n].decode("utf-8", errors="replace").strip() for o, n in sorted(set(entries))]
        yield from ((name, doc) for doc in pack(texts))
    return read


READERS = {"fortunes": fortunes, "python-docs": python_docs, "perl-pod": perl_pod, "bible-kjv": bible,
           "jargon": dictionary("jargon"), "devil": dictionary("devil"), "foldoc": dictionary("foldoc"),
           "gcide": dictionary("gcide")}


def build(root: Path, max_docs: int, seed: int):
    rng = np.random.default_rng(seed)
    rows, counts = [], {}
    for domain, reader in READERS.items():
        seen, docs = set(), []
        for category, text in reader(root):
            key = hashlib.sha256(" ".join(text.lower().split()).encode()).digest()
            if key not in seen:
                seen.add(key)
                docs.append((category, text))
        keep = np.sort(rng.permutation(len(docs))[:max_docs])
        counts[domain] = (len(docs), len(keep))
        for i in keep:
            category, text = docs[i]
            rows.append({"id": f"{domain}/{i}", "domain": domain, "category": category, "text": text,
                         "n_words": len(text.split())})
        print(f"{domain:12s} {len(docs):6d} documents, kept {len(keep)}", flush=True)
    return rows, counts


def write(rows, out: Path) -> str:
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        for row in rows:
            handle.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    out.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def readme(counts, digest: str, args) -> str:
    lines = ["# text-corpus: eight English text domains from Debian packages", "",
             "The raw pool and targets of Chapter 7 (DSIR). One JSON object a line in `corpus.jsonl.gz`: `id`, "
             "`domain`, `category` (fortune file, Python doc section, pod page, Bible book or dictionary), "
             "`text` and `n_words`. Documents are paragraphs, quotations, verses or dictionary entries packed "
             f"in order to at least {MIN_WORDS} words (pieces of at most {MAX_WORDS}); the last one of each "
             "category may be shorter. Exact duplicates (after lowercasing and collapsing white space) are "
             f"removed and each domain is capped to a random subset of {args.max_docs_per_domain} documents "
             f"(seed {args.seed}).", "",
             f"Rebuild: `python scripts/build_text_corpus.py --max-docs-per-domain {args.max_docs_per_domain} "
             f"--seed {args.seed}` (runs `apt-get download` and `dpkg-deb -x`; nothing is installed). "
             "The output is byte-identical for the same Debian package versions.", "",
             f"sha256 of `{FILE}`: `{digest}`", "",
             "| domain | Debian package | content | licence | documents (all / kept) |",
             "|---|---|---|---|---|"]
    for domain, (package, content, licence) in DOMAINS.items():
        lines.append(f"| {domain} | {package} | {content} | {licence} | {counts[domain][0]} / {counts[domain][1]} |")
    lines += ["", "Each package's full copyright file is in `/usr/share/doc/<package>/copyright` of that package."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-docs-per-domain", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "text-corpus")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="text-corpus-") as tmp:
        rows, counts = build(unpack(Path(tmp)), args.max_docs_per_domain, args.seed)
    digest = write(rows, args.out / FILE)
    (args.out / "README.md").write_text(readme(counts, digest, args))
    print(f"wrote {len(rows)} documents to {args.out / FILE}\nsha256 {digest}  (set SHA256 in "
          f"fscore/datasets/text_corpus.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
