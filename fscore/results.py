"""The results files, their schema and their words: the one module that reads and writes them.

Two kinds of file live under ``results/`` (``FSCORE_RESULTS`` moves every scale but the committed ``full``):

``results/<scale>/<chapter>.json`` — one run of a chapter (written by :mod:`fscore.claims`)::

    {"schema": 2, "chapter": "ch01_linear_selection", "scale": "quick" | "full", "seed": 0,
     "device": "cpu:x86_64 x2", "date": "2026-12-02T10:00:00+00:00", "wall_time_s": 12.3,
     "complete": true,                     # false while the chapter is still running (or if it stopped)
     "versions": {"fscore": ..., "torch": ..., "python": ..., "platform": ...},
     "claims": [{"id", "sentence", "measured", "op", "threshold", "expect": "holds" | "fails", "holds",
                 "paper", "source", "paper_seen": "paper" | "repository" | "third-party" | null, "note",
                 "unit": null | "points" | "%" | "<any short unit, e.g. s>"}]}

``results/benchmarks/<name>.json`` — the ratios a ``benchmarks/`` script measured (:func:`write_benchmark`)::

    {"schema": 2, "name": "dsir", "device": ..., "date": ..., "note": ...,
     "ratios": {"<comparison>": {"value": 0.14, "better": "lower" | "higher"}}}

A paper's number beside ours says how it was seen (:data:`SEEN`): in the paper's own text, in the authors'
repository, or only in a third-party copy, which is *unverified* and counted apart from the verified ones.
A claim's ``unit`` says how the tables show its measured, threshold and paper values (:data:`UNITS`): a fraction
as percentage points or a percentage, or any other unit written after the number; without one they show three
significant figures. Files written before the schema field existed (schema 1), or before ``unit`` (an optional
field of schema 2), are read with the missing fields filled in.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
from pathlib import Path

from fscore.paths import project_root

SCHEMA = 2
SCALES = ("quick", "full")

# The status of a claim, in every table of the book (chapters and dashboard alike).
HOLDS = "holds"
FAILS = "FAILS"
NOT_REPRODUCED = "does not reproduce (documented)"
UNEXPECTEDLY_HOLDS = "UNEXPECTEDLY HOLDS"
MISSING = "missing"
FAILING = (FAILS, UNEXPECTEDLY_HOLDS)

#: How a paper's number was seen; the first two are primary sources (verified).
SEEN = {"paper": "the paper's own text", "repository": "the authors' repository",
        "third-party": "a third-party copy (unverified)"}
VERIFIED = ("paper", "repository")

#: Units that rescale a claim's numbers in the tables (a fraction shown x 100); any other short string is appended.
UNITS = {"points": "a difference of two fractions, shown in percentage points (0.05 -> 5 points)",
         "%": "a fraction, shown as a percentage (0.9 -> 90%)"}

#: Which way a benchmark ratio is good.
BETTER = ("lower", "higher")


# ------------------------------------------------------------------------------------------ paths
def results_dir(scale: str) -> Path:
    """``results/<scale>`` under the project root, or under ``FSCORE_RESULTS`` when set."""
    base = Path(os.environ["FSCORE_RESULTS"]) if os.environ.get("FSCORE_RESULTS") else project_root() / "results"
    return base / scale


def committed_full_results() -> Path:
    """The committed full-scale results, always read from the project itself."""
    return project_root() / "results" / "full"


def benchmarks_dir() -> Path:
    """``results/benchmarks`` (``FSCORE_RESULTS`` moves it with the other results)."""
    return results_dir("benchmarks")


def chapter_path(chapter: str, scale: str) -> Path:
    """Where the results of ``chapter`` at ``scale`` are read from (``full``: the committed folder)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return (committed_full_results() if scale == "full" else results_dir(scale)) / f"{chapter}.json"


# --------------------------------------------------------------------------------------- chapters
def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def write_chapter(payload: dict) -> Path:
    """Write one chapter run (the schema above) to ``results/<scale>/<chapter>.json`` and return the path."""
    missing = {"chapter", "scale", "seed", "device", "date", "wall_time_s", "complete", "claims"} - set(payload)
    if missing:
        raise ValueError(f"a chapter's results need {sorted(missing)}")
    folder = results_dir(payload["scale"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{payload['chapter']}.json"
    path.write_text(json.dumps({"schema": SCHEMA, **payload}, indent=2) + "\n")
    return path


def read_chapter(chapter: str, scale: str) -> dict | None:
    """The results of ``chapter`` at ``scale`` (``full``: the committed run), upgraded to the schema; None if absent."""
    path = chapter_path(chapter, scale)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None
    return _upgrade(data, path)


def _upgrade(data: dict, path: Path) -> dict:
    version = data.get("schema", 1)
    if version > SCHEMA:
        raise ValueError(f"{path} has results schema {version}; this fscore reads up to {SCHEMA}: update fscore")
    for claim in data.get("claims", []):
        claim.setdefault("paper_seen", None)
        claim.setdefault("note", None)
        claim.setdefault("expect", "holds")
        claim.setdefault("unit", None)
    data["schema"] = SCHEMA
    return data


def claim_status(claim: dict | None) -> str:
    """:data:`HOLDS`, :data:`FAILS`, :data:`NOT_REPRODUCED`, :data:`UNEXPECTEDLY_HOLDS` or :data:`MISSING`."""
    if claim is None:
        return MISSING
    if claim.get("expect", "holds") == "fails":
        return UNEXPECTEDLY_HOLDS if claim.get("holds") else NOT_REPRODUCED
    return HOLDS if claim.get("holds") else FAILS


def paper_verified(claim: dict) -> bool | None:
    """Whether the claim's paper value was seen in a primary source; None when it has no paper value."""
    if claim.get("paper") is None:
        return None
    return claim.get("paper_seen") in VERIFIED


def check_paper_source(paper, source, seen) -> None:
    """A paper's number needs its source (table, figure, section or path) and how it was seen (:data:`SEEN`)."""
    if paper is None:
        if seen is not None:
            raise ValueError("paper_seen is given without a paper value")
        return
    if not source:
        raise ValueError("a paper value needs its source: the table, figure or section, or the repository path")
    if seen not in SEEN:
        raise ValueError(f"paper_seen must be one of {sorted(SEEN)} (how the paper's number was seen), got {seen!r}")


def check_unit(unit) -> None:
    """A claim's unit is None, one of :data:`UNITS`, or a short label written after the number (``"s"``)."""
    if unit is None or unit in UNITS:
        return
    if not isinstance(unit, str) or not unit.strip() or len(unit) > 20:
        raise ValueError(f"unit must be None, one of {sorted(UNITS)} or a short label such as 's', got {unit!r}")


# ------------------------------------------------------------------------------------- benchmarks
def machine_load() -> str:
    """``"load average 0.4 on 2 cores when recorded"``: the 1-minute load average (empty where the OS has none)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return ""
    return f"load average {load:.1f} on {os.cpu_count()} cores when recorded"


def write_benchmark(name: str, ratios: dict, device: str | None = None, note: str | None = None,
                    better: dict | None = None) -> Path:
    """Write ``results/benchmarks/<name>.json``: each comparison's ratio and which way is better.

    ``ratios`` maps a comparison (``"fscore OMP / sklearn OMP, time"``) to its ratio; ``better`` maps a
    comparison to ``"lower"`` or ``"higher"`` (default ``"lower"``: a time or memory ratio of fscore over
    the reference, below 1 when fscore is faster or smaller). ``device`` defaults to this machine's. The note
    ends with the machine's load when the ratios were recorded (:func:`machine_load`): a ratio measured while
    other jobs shared the cores moves, and the record says so.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"a benchmark needs a plain file name, got {name!r}")
    if not isinstance(ratios, dict) or not ratios:
        raise ValueError("ratios must be a non-empty dict of comparison -> ratio")
    better = dict(better or {})
    unknown = set(better) - set(ratios)
    if unknown:
        raise ValueError(f"better names comparisons that are not in ratios: {sorted(unknown)}")
    clean = {}
    for key, value in ratios.items():
        if isinstance(value, bool):
            raise TypeError(f"ratio {key!r} must be a number, got {value!r}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"ratio {key!r} must be a number, got {value!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"ratio {key!r} must be finite, got {value!r}")
        direction = better.get(key, "lower")
        if direction not in BETTER:
            raise ValueError(f"better[{key!r}] must be one of {BETTER}, got {direction!r}")
        clean[str(key)] = {"value": value, "better": direction}
    if device is None:
        from fscore.runtime import default_device, device_description

        device = device_description(default_device())
    folder = benchmarks_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    note = "; ".join(part for part in (note, machine_load()) if part)
    payload = {"schema": SCHEMA, "name": name, "device": device, "date": now(), "note": note, "ratios": clean}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def read_benchmarks() -> list[dict]:
    """Every recorded benchmark, ratios as ``{"value", "better"}`` (schema-1 plain numbers read as ``lower``)."""
    folder = benchmarks_dir()
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        data["ratios"] = {k: v if isinstance(v, dict) else {"value": float(v), "better": "lower"}
                          for k, v in data.get("ratios", {}).items()}
        data.setdefault("name", path.stem)
        out.append(data)
    return out
