"""A multi-domain English text corpus built offline from Debian packages, for data selection (Chapter 7).

Eight domains with distinct vocabularies and styles: quotations from ``fortunes`` (40-odd labelled
categories), Python's reStructuredText documentation, Perl's pod documentation, the King James
Bible, the Jargon File, Ambrose Bierce's Devil's Dictionary, FOLDOC and GCIDE. Each domain is cut
into documents of roughly 150-400 words (paragraphs or dictionary entries packed together), exact
duplicates removed and each domain capped to a seeded subset. ``scripts/build_text_corpus.py``
rebuilds ``data/text-corpus/corpus.jsonl.gz`` from the packages; the loader verifies its sha256.
"""
from __future__ import annotations

import functools
import gzip
import json

import numpy as np
import pandas as pd

from fscore.datasets.registry import Dataset, DatasetNotFound, register, verify
from fscore.paths import data_dir

FILE = "corpus.jsonl.gz"
SHA256 = "2b21ef8126e4335cfcf59ed5f07e846da977a7136d9322af1096d12c113926f8"  # of the gzip file (build script prints it)
REBUILD = "python scripts/build_text_corpus.py"

#: Per domain: the Debian package it comes from, what it is, and its licence.
DOMAINS = {
    "fortunes": ("fortunes, fortunes-min (fortune-mod 1.99.1)", "quotations and jokes in labelled categories",
                 "BSD-4-clause (fortune-mod); quotations of their authors, redistributed by Debian"),
    "python-docs": ("python3.11-doc (3.11.2)", "Python's reStructuredText documentation sources (html/_sources)",
                    "PSF License Version 2 (Python documentation)"),
    "perl-pod": ("perl-doc (5.36.0)", "Perl's documentation in pod (usr/share/perl/5.36.0/pod)",
                 "GPL-1+ or Artistic"),
    "bible-kjv": ("bible-kjv, bible-kjv-text (4.38)", "the King James Version of the Bible, verses in book order",
                  "public domain (text); GPL-2+ (Debian packaging and tools)"),
    "jargon": ("dict-jargon (4.4.7)", "the Jargon File, hacker slang dictionary", "public domain"),
    "devil": ("dict-devil (1.0)", "Ambrose Bierce, The Devil's Dictionary (1911)", "public domain"),
    "foldoc": ("dict-foldoc (20230119)", "Free On-line Dictionary of Computing", "GFDL-1.1+"),
    "gcide": ("dict-gcide (0.48.5)", "GNU Collaborative International Dictionary of English (Webster 1913 based)",
              "GPL-3+"),
}


def path():
    return data_dir() / "text-corpus" / FILE


@functools.lru_cache(maxsize=1)
def _read(file) -> pd.DataFrame:
    verify(file, SHA256)
    with gzip.open(file, "rt", encoding="utf-8") as handle:
        return pd.DataFrame([json.loads(line) for line in handle])


def load_text_corpus(domains=None) -> pd.DataFrame:
    """The corpus as a DataFrame with columns ``id, domain, category, text, n_words`` (one row a document).

    ``domains`` keeps only those domains. Raises :class:`DatasetNotFound` naming the rebuild command when
    the committed file is missing, and :class:`ChecksumMismatch` when it is not the one the book was checked with.
    """
    file = path()
    if not file.is_file():
        raise DatasetNotFound(f"the text corpus is missing at {file}; rebuild it with `{REBUILD}` "
                              f"(needs apt-get and the Debian packages it names)")
    frame = _read(file)
    if domains is not None:
        unknown = set(domains) - set(DOMAINS)
        if unknown:
            raise ValueError(f"unknown domain(s) {sorted(unknown)}; known: {sorted(DOMAINS)}")
        frame = frame[frame["domain"].isin(list(domains))]
    return frame.reset_index(drop=True).copy()


def fetch():
    """Verify the committed corpus (it is not downloaded: it is rebuilt from Debian packages)."""
    load_text_corpus()
    return path()


def split_target_and_pool(corpus: pd.DataFrame, target_domains, n_target: int, n_heldout: int, n_pool=None,
                          target_weights=None, random_state=0):
    """Split ``corpus`` into target samples, held-out target text and a raw pool, pairwise disjoint.

    The target mixes ``target_domains`` in proportions ``target_weights`` (default equal). The held-out
    set is drawn from the same mix, for evaluating models trained on a selection. The pool is every
    other document (or ``n_pool`` of them, uniformly), so it contains the target's domains too, as
    The Pile contains Wikipedia in the paper's experiments. Returns three DataFrames.
    """
    target_domains = list(target_domains)
    weights = np.full(len(target_domains), 1 / len(target_domains)) if target_weights is None \
        else np.asarray(target_weights, float) / np.sum(target_weights)
    rng = np.random.default_rng(random_state)
    target, heldout = [], []
    for domain, weight in zip(target_domains, weights):
        rows = np.flatnonzero(corpus["domain"].to_numpy() == domain)
        n_t, n_h = int(round(n_target * weight)), int(round(n_heldout * weight))
        if n_t + n_h >= len(rows):
            raise ValueError(f"domain {domain!r} has {len(rows)} documents: too few for {n_t} target and "
                             f"{n_h} held-out documents and a share in the pool")
        picked = rng.permutation(rows)[:n_t + n_h]
        target.append(picked[:n_t])
        heldout.append(picked[n_t:])
    used = np.concatenate(target + heldout)
    rest = np.setdiff1d(np.arange(len(corpus)), used)
    if n_pool is not None:
        if not 1 <= n_pool <= len(rest):
            raise ValueError(f"n_pool={n_pool} is out of range: 1..{len(rest)} documents remain")
        rest = np.sort(rng.choice(rest, n_pool, replace=False))
    def take(index):
        return corpus.iloc[np.sort(index)].reset_index(drop=True)

    return take(np.concatenate(target)), take(np.concatenate(heldout)), take(rest)


register(Dataset(
    name="text-corpus",
    description="multi-domain English text in 8 domains (fortunes, Python docs, Perl pod, KJV Bible, Jargon File, "
                "Devil's Dictionary, FOLDOC, GCIDE), documents of ~150-400 words",
    provenance="Debian packages " + "; ".join(v[0] for v in DOMAINS.values()) + f"; rebuilt by `{REBUILD}`",
    licence="per domain: " + "; ".join(f"{k}: {v[2]}" for k, v in DOMAINS.items()),
    loader=load_text_corpus,
    fetch=fetch,
    fetch_hint=f"committed under data/text-corpus; rebuild with `{REBUILD}`",
))
