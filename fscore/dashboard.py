"""The reproduction dashboard: every claim of every chapter, read from ``results/``.

The appendix notebook ``chapters/part9_appendix/dashboard.ipynb`` runs after every chapter of a build
(Sphinx executes notebooks in the sorted order of their paths, and ``part9_appendix`` sorts last) and
shows, for each claim, the paper's value, the committed full-scale value (device, date), this build's
value and whether it holds. Nothing is filtered: a claim that fails is shown as failing.

* :func:`fscore.book.toc_chapters` — the chapters listed in ``_toc.yml``, written or not;
* :func:`claims_frame` — one row a claim: paper / full run / this build / status;
* :func:`chapters_frame` — one row a chapter: results at this scale, run times, the full run or *missing*;
* :func:`benchmarks_frame` — the ratios of ``benchmarks/`` scripts, kept in ``results/benchmarks/<name>.json``
  (:func:`fscore.results.write_benchmark`);
* :func:`to_html` — a table with links to the chapters and failing rows marked.
"""
from __future__ import annotations

import html
import math
import os
from pathlib import Path

import pandas as pd

from fscore.book import toc_chapters
from fscore.claims import paper_value
from fscore.results import FAILING, MISSING, claim_status, paper_verified, read_benchmarks, read_chapter

# -------------------------------------------------------------------------------------- results
def _value(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, float)):
        return "nan" if isinstance(x, float) and math.isnan(x) else f"{x:.4g}"
    return str(x)


def _date(stamp: str | None) -> str:
    return (stamp or "")[:10] or "—"


def claims_frame(scale: str, chapters: list[dict] | None = None) -> pd.DataFrame:
    """One row a claim of every chapter: the paper, the committed full run, this build, the status.

    Claims are the union of this build's and the full run's, in the chapter's order. A written
    chapter without results at ``scale`` gives a row with status ``missing``; so does a claim of the
    full run that this build did not record.
    """
    chapters = toc_chapters() if chapters is None else chapters
    rows = []
    for entry in chapters:
        if not entry["written"]:
            continue
        this = read_chapter(entry["stem"], scale)
        full = read_chapter(entry["stem"], "full") if scale != "full" else this
        this_claims = {c["id"]: c for c in (this or {}).get("claims", [])}
        full_claims = {c["id"]: c for c in (full or {}).get("claims", [])}
        ids = list(this_claims) + [i for i in full_claims if i not in this_claims]
        if not ids:
            rows.append({"chapter": entry["stem"], "file": entry["file"], "claim": "—",
                         "checks": f"no results at {scale} scale", "paper": "—", "paper verified": None,
                         "source": "—", "note": "", "full run": MISSING,
                         "full device": "—", "full date": "—", "this build": "—", "threshold": "—",
                         "status": MISSING, "full status": MISSING, "full run (device, date)": MISSING})
            continue
        for cid in ids:
            c, f = this_claims.get(cid), full_claims.get(cid)
            ref = c or f
            rows.append({
                "chapter": entry["stem"], "file": entry["file"], "claim": cid,
                "checks": ref.get("sentence", ""),
                "paper": paper_value(ref), "paper verified": paper_verified(ref),
                "source": ref.get("source") or "—", "note": ref.get("note") or "",
                "full run": MISSING if f is None else _value(f.get("measured")),
                "full device": (full or {}).get("device", "—") if f else "—",
                "full date": _date((full or {}).get("date")) if f else "—",
                "this build": MISSING if c is None else _value(c.get("measured")),
                "threshold": f"{ref.get('op', '')} {_value(ref.get('threshold'))}",
                "status": claim_status(c),
                "full status": claim_status(f),
                "full run (device, date)": (MISSING if f is None else
                                            f"{_value(f.get('measured'))} ({claim_status(f)}; {(full or {}).get('device', '—')}, "
                                            f"{_date((full or {}).get('date'))})"),
            })
    return pd.DataFrame(rows, columns=["chapter", "file", "claim", "checks", "paper", "paper verified", "source",
                                       "note", "full run", "full device",
                                       "full date", "this build", "threshold", "status", "full status",
                                       "full run (device, date)"])


def chapters_frame(scale: str, chapters: list[dict] | None = None) -> pd.DataFrame:
    """One row a chapter of the toc: written or not, this build's results and time, the full run or missing."""
    chapters = toc_chapters() if chapters is None else chapters
    rows = []
    for entry in chapters:
        this = read_chapter(entry["stem"], scale) if entry["written"] else None
        full = read_chapter(entry["stem"], "full") if entry["written"] else None
        claims = (this or {}).get("claims", [])
        rows.append({
            "part": entry["part"], "chapter": entry["stem"], "file": entry["file"], "title": entry["title"],
            "written": entry["written"],
            "state": ("not written yet" if not entry["written"] else "no results at this scale" if this is None
                      else "complete" if this.get("complete") else "incomplete (the run stopped)"),
            "complete": bool(this and this.get("complete")),
            "claims": len(claims),
            "as expected": sum(c.get("holds") == (c.get("expect", "holds") == "holds") for c in claims),
            f"{scale} time (s)": (this or {}).get("wall_time_s"),
            f"{scale} device": (this or {}).get("device", "—"),
            "full run": (f"{full.get('device')}, {_date(full.get('date'))}, {full.get('wall_time_s')} s"
                         if full else MISSING),
            "full time (s)": (full or {}).get("wall_time_s"),
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------- benchmarks
def benchmarks_frame() -> pd.DataFrame:
    """One row a benchmark ratio recorded under ``results/benchmarks``, with which way is better."""
    rows = [{"benchmark": data["name"], "comparison": comparison, "ratio": ratio["value"], "better": ratio["better"],
             "device": data.get("device", "—"), "date": _date(data.get("date"))}
            for data in read_benchmarks() for comparison, ratio in data["ratios"].items()]
    return pd.DataFrame(rows, columns=["benchmark", "comparison", "ratio", "better", "device", "date"])


# ----------------------------------------------------------------------------------------- HTML
def chapter_href(file: str, page: str) -> str:
    """The relative link from the page ``page`` (toc path) to the chapter ``file`` (toc path) in the HTML."""
    return Path(os.path.relpath(f"{file}.html", start=str(Path(page).parent))).as_posix()


def to_html(frame: pd.DataFrame, page: str, link: str = "chapter", columns: list[str] | None = None) -> str:
    """An HTML table of ``frame``: the ``link`` column links to written chapters, failing rows are marked.

    ``columns`` picks and orders the columns shown (default: all but ``file`` and ``written``). Rows
    whose ``status`` is failing get the class ``claim-fails`` and a red, bold status: a failure is
    shown, never hidden.
    """
    columns = columns or [c for c in frame.columns if c not in ("file", "written")]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for _, row in frame.iterrows():
        failing = str(row.get("status", "")) in FAILING or str(row.get("full status", "")) in FAILING
        cells = []
        for column in columns:
            value = row[column]
            text = html.escape(value if isinstance(value, str) else "—" if pd.isna(value) else _value(value))
            if column == link and row.get("written", True) is not False and "file" in row:
                text = f'<a class="reference internal" href="{html.escape(chapter_href(row["file"], page))}">{text}</a>'
            if column in ("status", "full status") and row[column] in FAILING or (
                    column == "full run (device, date)" and any(f"({word};" in row[column] for word in FAILING)):
                text = f'<strong style="color:#b00020">{text}</strong>'
            cells.append(f"<td>{text}</td>")
        cls = ' class="claim-fails"' if failing else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table class="dataframe table fscore-dashboard" style="font-size:0.85em">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def summary(claims: pd.DataFrame) -> dict:
    """Counts of claims by status, and of the comparisons with a paper value, verified and unverified apart."""
    if not len(claims):
        return {}
    counts = {str(k): int(v) for k, v in claims["status"].value_counts().items()}
    counts["paper values, verified"] = int((claims["paper verified"] == True).sum())  # noqa: E712
    counts["paper values, unverified"] = int((claims["paper verified"] == False).sum())  # noqa: E712
    return counts
