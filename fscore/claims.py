"""Reproduction claims: every chapter ends by checking what the paper says against what it measured.

``run.claim(id, sentence, measured=..., threshold=..., op=">=", paper=..., source=..., paper_seen=...)``
records one claim and writes ``results/<scale>/<chapter>.json`` (schema: :mod:`fscore.results`);
``run.report()`` shows the table *paper / committed full-scale run / this run* and raises
:class:`ClaimFailed` if any claim does not hold.

A paper's number beside ours names its ``source`` (the table, figure or section; or the repository path)
and ``paper_seen``, how it was seen: ``"paper"`` (the paper's own text), ``"repository"`` (the authors'
repository) or ``"third-party"`` (a copy elsewhere: shown as unverified, counted apart).

A claim that the book could not reproduce is recorded with ``expect="fails"``: the chapter says so
in its text, the table shows it as *does not reproduce (documented)*, and the notebook still fails if it
suddenly holds (then the text is wrong). Thresholds are what the method must show; never lower one to pass.
"""
from __future__ import annotations

import math
import operator
import platform
import sys
from dataclasses import asdict, dataclass

import torch

from fscore import results
from fscore._version import __version__
from fscore.runtime import device_description

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
    paper_seen: str | None = None

    @property
    def as_expected(self) -> bool:
        return self.holds == (self.expect == "holds")

    @property
    def status(self) -> str:
        return results.claim_status(asdict(self))

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


def record(run, id: str, sentence: str, *, measured, threshold, op: str = ">=", paper=None,
           source: str | None = None, paper_seen: str | None = None, expect: str = "holds",
           note: str | None = None) -> Claim:
    """Record one claim of ``run`` (a :class:`fscore.run.Run`) and write the chapter's results file.

    Parameters
    ----------
    id, sentence : str
        A short identifier, unique in the chapter, and the sentence the claim checks.
    measured, threshold : float
        What this run measured, and what it must reach for the claim to hold (``measured op threshold``).
    op : {">=", ">", "<=", "<", "=="}
    paper : float or str, optional
        The paper's own number for the same quantity, when there is one.
    source : str, optional
        Where the claim or the paper's number comes from (required with ``paper``).
    paper_seen : {"paper", "repository", "third-party"}, optional
        How ``paper`` was seen (required with ``paper``); ``"third-party"`` is shown as unverified.
    expect : {"holds", "fails"}
        ``"fails"`` documents a claim that does not reproduce; it then fails the run if it holds.
    note : str, optional
        Why a documented failure fails, or a caveat on the paper's value.

    Returns
    -------
    Claim
    """
    if op not in OPS:
        raise ValueError(f"op must be one of {sorted(OPS)}, got {op!r}")
    if expect not in ("holds", "fails"):
        raise ValueError(f"expect must be 'holds' or 'fails', got {expect!r}")
    if not id or not sentence:
        raise ValueError("a claim needs an id and the sentence it checks")
    if any(c.id == id for c in run.claims):
        raise ValueError(f"claim id {id!r} is recorded twice in {run.chapter}")
    results.check_paper_source(paper, source, paper_seen)
    measured, threshold = _number(measured, "measured"), _number(threshold, "threshold")
    holds = (not math.isnan(measured)) and bool(OPS[op](measured, threshold))
    claim = Claim(id, sentence, measured, op, threshold, paper, source, expect, holds, note, paper_seen)
    run.claims.append(claim)
    write_results(run, complete=False)
    return claim


def write_results(run, complete: bool) -> dict:
    """Write ``results/<scale>/<chapter>.json`` with the device, date, wall time and every claim."""
    payload = {
        "chapter": run.chapter,
        "scale": run.scale,
        "seed": run.seed,
        "device": device_description(run.device),
        "date": results.now(),
        "wall_time_s": round(run.wall_time, 2),
        "complete": complete,
        "versions": {"fscore": __version__, "torch": torch.__version__, "python": sys.version.split()[0],
                     "platform": platform.platform()},
        "claims": [asdict(c) for c in run.claims],
    }
    results.write_chapter(payload)
    return payload


def paper_value(claim: dict) -> str:
    """The paper's number as the tables show it: ``—`` when none, marked *unverified* unless seen in a primary source."""
    paper = claim.get("paper")
    if paper is None:
        return "—"
    text = f"{paper:.4g}" if isinstance(paper, (int, float)) and not isinstance(paper, bool) else str(paper)
    return text if results.paper_verified(claim) else f"{text} (unverified)"


def claims_table(run):
    """A DataFrame: each claim with the paper's value, the committed full-scale run and this run."""
    import pandas as pd

    full = results.read_chapter(run.chapter, "full") if run.scale != "full" else None
    full_claims = {c["id"]: c for c in (full or {}).get("claims", [])}
    rows = []
    for c in run.claims:
        f = full_claims.get(c.id)
        rows.append({
            "claim": c.id,
            "checks": c.sentence,
            "paper": paper_value(asdict(c)),
            "full run": "—" if f is None else f"{f['measured']:.4g} ({results.claim_status(f)})",
            f"this run ({run.scale})": f"{c.measured:.4g}",
            "threshold": f"{c.op} {c.threshold:.3g}",
            "status": c.status,
            "source": c.source or "—",
            "note": c.note or "",
        })
    table = pd.DataFrame(rows)
    if full:
        table.attrs["full_run"] = f"{full['device']}, {full['date'][:10]}, {full['wall_time_s']:.0f} s"
    return table


def report(run) -> None:
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
