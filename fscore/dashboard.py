"""The reproduction dashboard: every claim of every chapter, read from ``results/``.

The appendix notebook ``chapters/part9_appendix/dashboard.ipynb`` runs after every chapter of a build
(:func:`fscore.book.chapter_notebooks` puts it last) and shows, for each claim, the paper's value, the committed
full-scale value, this build's value and whether it holds; the device, date and wall time of each chapter's runs
once, in the chapter's heading row. Nothing is filtered: a claim that fails is shown as failing, and a value that
is missing says what is missing.

* :func:`fscore.book.toc_chapters` — the chapters listed in ``_toc.yml``, written or not;
* :func:`claims_frame` — one row a claim (:func:`fscore.claims.display_row`): paper / full run / this build / status;
* :func:`claims_html` — those rows as one table, a heading row a chapter with its runs' device, date and time;
* :func:`chapters_frame` — one row a chapter: results at this scale, run times, the full run or what is missing;
* :func:`benchmarks_frame`, :func:`benchmarks_html` — the ratios of ``benchmarks/`` scripts
  (:func:`fscore.results.write_benchmark`), each with the direction in which it is better;
* :func:`to_html` — a plain table with links to the chapters and failing rows marked;
* :func:`summary` — counts by status, paper values verified and unverified apart.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from fscore import claims as fclaims
from fscore.book import toc_chapters
from fscore.results import FAILING, MISSING, read_benchmarks, read_chapter

#: What a missing value is missing, in the words the dashboard shows.
FULL_SCALE_ONLY = f"{MISSING}: full scale only"
NO_FULL_RUN = f"{MISSING}: no committed full-scale run"
NOT_IN_FULL_RUN = f"{MISSING}: not in the committed full-scale run"

CLAIM_COLUMNS = ["chapter", "file", "title", "claim", "id", "source", "note", "paper", "paper verified", "full run",
                 "full status", "this build", "threshold", "status"]


# -------------------------------------------------------------------------------------- claims
def _not_here(scale: str) -> str:
    return FULL_SCALE_ONLY if scale == "quick" else f"{MISSING}: not recorded at {scale} scale"


def claims_frame(scale: str, chapters: list[dict] | None = None) -> pd.DataFrame:
    """One row a claim of every written chapter, as the tables show it (:func:`fscore.claims.display_row`).

    Claims are the union of this build's and the committed full run's, in the chapter's order. A written
    chapter without results at ``scale`` gives one row with status ``missing``; a claim that only one of the
    two runs recorded says what is missing (``missing: full scale only``, ``missing: no committed full-scale run``).
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
        where = {"chapter": entry["stem"], "file": entry["file"], "title": entry["title"]}
        if not ids:
            rows.append({**where, "claim": f"no results at {scale} scale: the chapter did not run in this build",
                         "id": "—", "source": "—", "note": "", "paper": "—", "paper verified": None,
                         "full run": NO_FULL_RUN if full is None else "—", "full status": MISSING,
                         "this build": f"{MISSING}: no results at {scale} scale", "threshold": "—",
                         "status": MISSING})
            continue
        for cid in ids:
            row = fclaims.display_row(this_claims.get(cid), full_claims.get(cid), this_missing=_not_here(scale),
                                      full_missing=NO_FULL_RUN if full is None else NOT_IN_FULL_RUN)
            row["this build"] = row.pop("this run")
            rows.append({**where, **row})
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def chapter_heading(entry: dict, scale: str, page: str) -> str:
    """A chapter's heading row in the claims table: its title (a link), its runs' device, date and time, once."""
    this = read_chapter(entry["stem"], scale)
    full = read_chapter(entry["stem"], "full")
    link = (f'<a class="reference internal" href="{html.escape(chapter_href(entry["file"], page))}">'
            f'{html.escape(entry["title"])}</a>')
    full_text = fclaims.run_label(full) if full else NO_FULL_RUN
    this_text = f"{scale} scale, {fclaims.run_label(this)}" if this else f"{MISSING}: no results at {scale} scale"
    return (f'{link}<span class="fscore-runs"> — committed full-scale run: {html.escape(full_text)}; '
            f"this build: {html.escape(this_text)}</span>")


def claims_html(frame: pd.DataFrame, scale: str, page: str, chapters: list[dict] | None = None) -> str:
    """Every claim of ``frame`` (:func:`claims_frame`) in one table, a heading row a chapter (title, runs)."""
    chapters = toc_chapters() if chapters is None else chapters
    rows = []
    for entry in chapters:
        chapter = frame[frame["chapter"] == entry["stem"]]
        if not len(chapter):
            continue
        rows.append({"heading": chapter_heading(entry, scale, page)})
        for record in chapter.to_dict("records"):
            rows.append({**record, "this run": record["this build"]})
    return fclaims.claims_html(rows, this_label=f"This build ({scale})", show_full=scale != "full")


def summary(claims: pd.DataFrame) -> dict:
    """Counts of claims by status, and of the comparisons with a paper value, verified and unverified apart."""
    if not len(claims):
        return {}
    counts = {str(k): int(v) for k, v in claims["status"].value_counts().items()}
    counts["paper values, verified"] = int((claims["paper verified"] == True).sum())  # noqa: E712
    counts["paper values, unverified"] = int((claims["paper verified"] == False).sum())  # noqa: E712
    return counts


# ------------------------------------------------------------------------------------- chapters
def chapters_frame(scale: str, chapters: list[dict] | None = None) -> pd.DataFrame:
    """One row a chapter of the toc: written or not, this build's results and time, the full run or what is missing."""
    chapters = toc_chapters() if chapters is None else chapters
    rows = []
    for entry in chapters:
        this = read_chapter(entry["stem"], scale) if entry["written"] else None
        full = read_chapter(entry["stem"], "full") if entry["written"] else None
        claims = (this or {}).get("claims", [])
        rows.append({
            "part": entry["part"], "chapter": entry["stem"], "file": entry["file"], "title": entry["title"],
            "written": entry["written"],
            "state": ("not written yet" if not entry["written"] else f"no results at {scale} scale" if this is None
                      else "complete" if this.get("complete") else "incomplete (the run stopped)"),
            "complete": bool(this and this.get("complete")),
            "claims": len(claims),
            "as expected": sum(c.get("holds") == (c.get("expect", "holds") == "holds") for c in claims),
            f"{scale} time (s)": (this or {}).get("wall_time_s"),
            f"{scale} device": fclaims.device_label(this.get("device")) if this else "—",
            "full run": (fclaims.run_label(full) if full else "—" if not entry["written"] else NO_FULL_RUN),
            "full time (s)": (full or {}).get("wall_time_s"),
            "full device": fclaims.device_label(full.get("device")) if full else "—",
        })
    return pd.DataFrame(rows)


def full_run_devices(chapters: pd.DataFrame) -> str:
    """Where the committed full-scale runs ran, from :func:`chapters_frame`: ``3 chapters on CPU (x86_64, 2 cores)``."""
    written = chapters[chapters["written"]]
    devices = written["full device"].value_counts()
    parts = [f"{n} chapter{'' if n == 1 else 's'} on {device}" for device, n in devices.items() if device != "—"]
    missing = int((written["full device"] == "—").sum())
    if missing:
        parts.append(f"{missing} chapter{'' if missing == 1 else 's'} without one yet")
    return ", ".join(parts) or "none yet"


# ----------------------------------------------------------------------------------- benchmarks
def benchmarks_frame() -> pd.DataFrame:
    """One row a benchmark ratio recorded under ``results/benchmarks``, with which way is better."""
    rows = [{"benchmark": data["name"], "comparison": comparison, "ratio": ratio["value"], "better": ratio["better"],
             "device": data.get("device", "—"), "date": (data.get("date") or "")[:10] or "—",
             "note": data.get("note") or ""}
            for data in read_benchmarks() for comparison, ratio in data["ratios"].items()]
    return pd.DataFrame(rows, columns=["benchmark", "comparison", "ratio", "better", "device", "date", "note"])


def benchmarks_html(frame: pd.DataFrame) -> str:
    """The benchmarks, a heading row each (device, date, note once); each ratio to three significant figures with
    the direction in which it is better, stated on its own row."""
    columns = ["Comparison", "Ratio", "Better"]
    body = []
    for name, group in frame.groupby("benchmark", sort=False):
        first = group.iloc[0]
        note = f"; {first['note']}" if first["note"] else ""
        body.append(f'<tr class="fscore-group"><th colspan="3" scope="colgroup"><code>{html.escape(name)}</code>'
                    f'<span class="fscore-runs"> — {html.escape(fclaims.device_label(first["device"]))}, '
                    f"{html.escape(first['date'])}{html.escape(note)}</span></th></tr>")
        for row in group.to_dict("records"):
            better = f"{row['better']} is better"
            cells = {"Comparison": html.escape(row["comparison"]),
                     "Ratio": html.escape(fclaims.format_number(row["ratio"])), "Better": html.escape(better)}
            body.append("<tr>" + "".join(f'<td data-label="{c}" class="fscore-col-{c.lower()}">{cells[c]}</td>'
                                         for c in columns) + "</tr>")
    head = "".join(f'<th scope="col" class="fscore-col-{c.lower()}">{c}</th>' for c in columns)
    return (f'<div class="fscore-table-wrap"><table class="table fscore-table fscore-benchmarks">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


# ----------------------------------------------------------------------------------------- HTML
def chapter_href(file: str, page: str) -> str:
    """The relative link from the page ``page`` (toc path) to the chapter ``file`` (toc path) in the HTML."""
    return Path(os.path.relpath(f"{file}.html", start=str(Path(page).parent))).as_posix()


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return fclaims.format_number(value)


def to_html(frame: pd.DataFrame, page: str, link: str = "chapter", columns: list[str] | None = None) -> str:
    """An HTML table of ``frame``: the ``link`` column links to written chapters, failing rows are marked.

    ``columns`` picks and orders the columns shown (default: all but ``file`` and ``written``). Numbers are shown
    to three significant figures. Rows whose ``status`` is failing get the class ``claim-fails`` and a bold status:
    a failure is shown, never hidden. Every cell carries ``data-label`` for the book's phone layout.
    """
    columns = columns or [c for c in frame.columns if c not in ("file", "written")]
    head = "".join(f"<th scope=\"col\">{html.escape(str(c))}</th>" for c in columns)
    body = []
    for _, row in frame.iterrows():
        failing = str(row.get("status", "")) in FAILING or str(row.get("full status", "")) in FAILING
        cells = []
        for column in columns:
            text = html.escape(_cell(row[column]))
            if column == link and row.get("written", True) is not False and "file" in row:
                text = f'<a class="reference internal" href="{html.escape(chapter_href(row["file"], page))}">{text}</a>'
            if column in ("status", "full status"):
                text = fclaims.status_html(str(row[column]))
            cells.append(f'<td data-label="{html.escape(str(column))}">{text}</td>')
        cls = ' class="claim-fails"' if failing else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<div class="fscore-table-wrap"><table class="table fscore-table fscore-dashboard">'
            f"<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")
