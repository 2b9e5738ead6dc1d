"""Reproduction claims: every chapter ends by checking what the paper says against what it measured.

``run.claim(id, sentence, measured=..., threshold=..., op=">=", paper=..., source=...)`` records one
claim and writes ``results/<scale>/<chapter>.json``; ``run.report()`` shows the table *paper /
committed full-scale run / this run* and raises :class:`ClaimFailed` if any claim does not hold.

A claim that the book could not reproduce is recorded with ``expect="fails"``: the chapter says so
in its text, the table shows it as *not reproduced*, and the notebook still fails if it suddenly
holds (then the text is wrong). Thresholds are what the method must show; never lower one to pass.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import operator
import platform
import sys
from dataclasses import asdict, dataclass

import torch

from fscore import __version__
from fscore.paths import committed_full_results, results_dir
from fscore.runtime import Run, device_description

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


class ClaimFailed(AssertionError):
    """A reproduction claim did not hold (or a documented failure unexpectedly held)."""


@dataclass
class Claim:
    id: str
    sentence: str
    measured: float
    op: str
    threshold: float
    paper: float | str | None
    source: str | None
    expect: str
    holds: bool
    note: str | None = None

    @property
    def as_expected(self) -> bool:
        return self.holds == (self.expect == "holds")

    def describe(self) -> str:
        status = "holds" if self.holds else "does not hold"
        text = (f"claim {self.id!r} {status}: expected measured {self.op} {self.threshold:g}, "
                f"measured {self.measured:.6g}. ({self.sentence})")
        if self.expect == "fails" and self.holds:
            text += " It was documented as not reproducing: update the chapter's text and the claim."
        return text


def _number(value, name: str) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None


def record(run: Run, id: str, sentence: str, *, measured, threshold, op: str = ">=", paper=None,
           source: str | None = None, expect: str = "holds", note: str | None = None) -> Claim:
    """Record one claim of ``run`` and write the chapter's results file; return the :class:`Claim`."""
    if op not in OPS:
        raise ValueError(f"op must be one of {sorted(OPS)}, got {op!r}")
    if expect not in ("holds", "fails"):
        raise ValueError(f"expect must be 'holds' or 'fails', got {expect!r}")
    if not id or not sentence:
        raise ValueError("a claim needs an id and the sentence it checks")
    if any(c.id == id for c in run.claims):
        raise ValueError(f"claim id {id!r} is recorded twice in {run.chapter}")
    measured, threshold = _number(measured, "measured"), _number(threshold, "threshold")
    holds = (not math.isnan(measured)) and bool(OPS[op](measured, threshold))
    claim = Claim(id, sentence, measured, op, threshold, paper, source, expect, holds, note)
    run.claims.append(claim)
    write_results(run, complete=False)
    return claim


def write_results(run: Run, complete: bool) -> dict:
    """Write ``results/<scale>/<chapter>.json`` with the device, date, wall time and every claim."""
    payload = {
        "chapter": run.chapter,
        "scale": run.scale,
        "seed": run.seed,
        "device": device_description(run.device),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(run.wall_time, 2),
        "complete": complete,
        "versions": {"fscore": __version__, "torch": torch.__version__, "python": sys.version.split()[0],
                     "platform": platform.platform()},
        "claims": [asdict(c) for c in run.claims],
    }
    folder = results_dir(run.scale)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run.chapter}.json").write_text(json.dumps(payload, indent=2) + "\n")
    return payload


def load_results(chapter: str, scale: str = "full") -> dict | None:
    """The committed results of ``chapter`` at ``scale`` (``full`` reads ``results/full`` of the project)."""
    path = (committed_full_results() if scale == "full" else results_dir(scale)) / f"{chapter}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def claims_table(run: Run):
    """A DataFrame: each claim with the paper's value, the committed full-scale run and this run."""
    import pandas as pd

    full = load_results(run.chapter, "full") if run.scale != "full" else None
    full_claims = {c["id"]: c for c in (full or {}).get("claims", [])}
    rows = []
    for c in run.claims:
        f = full_claims.get(c.id)
        rows.append({
            "claim": c.id,
            "paper": "—" if c.paper is None else c.paper,
            "full run": "—" if f is None else f"{f['measured']:.4g} ({'holds' if f['holds'] else 'fails'})",
            f"this run ({run.scale})": f"{c.measured:.4g}",
            "threshold": f"{c.op} {c.threshold:g}",
            "status": _status(c),
            "checks": c.sentence,
        })
    table = pd.DataFrame(rows)
    if full:
        table.attrs["full_run"] = f"{full['device']}, {full['date']}, {full['wall_time_s']} s"
    return table


def _status(c: Claim) -> str:
    if c.expect == "fails":
        return "not reproduced (documented)" if not c.holds else "UNEXPECTEDLY HOLDS"
    return "holds" if c.holds else "FAILS"


def report(run: Run) -> None:
    """Finish ``run``: write its complete results, display the claims table, fail on a broken claim."""
    if not run.claims:
        raise ClaimFailed(f"{run.chapter} recorded no claims: every chapter ends with its reproduction checks")
    write_results(run, complete=True)
    table = claims_table(run)
    try:
        from IPython.display import Markdown, display

        full = table.attrs.get("full_run", "no committed full-scale run yet")
        display(Markdown(f"**Reproduction checks** — this run: {run.scale} scale on "
                         f"{device_description(run.device)}, {run.wall_time:.1f} s; committed full run: {full}"))
        display(table)
    except ImportError:  # plain Python: print instead
        print(table.to_string(index=False))
    broken = [c for c in run.claims if not c.as_expected]
    if broken:
        raise ClaimFailed("\n".join(c.describe() for c in broken))
