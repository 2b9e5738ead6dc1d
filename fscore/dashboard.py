"""The reproduction dashboard: every claim of every chapter, read from ``results/``.

The appendix notebook ``chapters/part9_appendix/dashboard.ipynb`` runs after every chapter of a build
(Sphinx executes notebooks in the sorted order of their paths, and ``part9_appendix`` sorts last) and
shows, for each claim, the paper's value, the committed full-scale value (device, date), this build's
value and whether it holds. Nothing is filtered: a claim that fails is shown as failing.

* :func:`toc_chapters` — the chapters listed in ``_toc.yml``, written or not;
* :func:`claims_frame` — one row a claim: paper / full run / this build / status;
* :func:`chapters_frame` — one row a chapter: results at this scale, run times, the full run or *missing*;
* :func:`benchmarks_frame` and :func:`record_benchmark` — the speed ratios of ``benchmarks/`` scripts,
  kept in ``results/benchmarks/<name>.json``;
* :func:`to_html` — a table with links to the chapters and failing rows marked.
"""
from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
from pathlib import Path

import pandas as pd

from fscore.paths import committed_full_results, project_root, results_dir

MISSING = "missing"
FAILING = ("FAILS", "UNEXPECTEDLY HOLDS")


# ----------------------------------------------------------------------------------------- the toc
def toc_chapters(root: Path | None = None, exclude: tuple[str, ...] = ()) -> list[dict]:
    """The notebook chapters of ``_toc.yml`` in reading order, and the entries not written yet.

    Each entry: ``part`` (the caption), ``file`` (toc path without suffix), ``stem``, ``title`` and
    ``written`` (whether the ``.ipynb`` exists). Markdown pages (the introduction, the course outline)
    and the stems in ``exclude`` are left out: they record no claims.
    """
    import yaml

    root = Path(root) if root else project_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    parts = toc.get("parts") or [{"caption": "", "chapters": toc.get("chapters", [])}]
    entries = []
    for part in parts:
        for chapter in part.get("chapters", []) or []:
            file = chapter.get("file")
            if not file:
                continue
            stem = Path(file).stem
            if stem in exclude or (root / f"{file}.md").is_file():
                continue
            notebook = root / f"{file}.ipynb"
            entries.append({"part": part.get("caption", ""), "file": file, "stem": stem,
                            "title": notebook_title(notebook) if notebook.is_file() else stem,
                            "written": notebook.is_file()})
    return entries


def notebook_title(notebook: Path) -> str:
    """The first ``# heading`` of a notebook, else its stem."""
    try:
        cells = json.loads(Path(notebook).read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return Path(notebook).stem
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(notebook).stem


# -------------------------------------------------------------------------------------- results
def load(chapter: str, scale: str) -> dict | None:
    """``results/<scale>/<chapter>.json`` (``full`` is always the project's committed folder), or None."""
    folder = committed_full_results() if scale == "full" else results_dir(scale)
    path = folder / f"{chapter}.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from None


def _value(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, float)):
        return "nan" if isinstance(x, float) and math.isnan(x) else f"{x:.4g}"
    return str(x)


def status(claim: dict | None) -> str:
    """``holds``, ``FAILS``, ``not reproduced (documented)``, ``UNEXPECTEDLY HOLDS`` or ``missing``."""
    if claim is None:
        return MISSING
    if claim.get("expect", "holds") == "fails":
        return "UNEXPECTEDLY HOLDS" if claim.get("holds") else "not reproduced (documented)"
    return "holds" if claim.get("holds") else "FAILS"


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
        this = load(entry["stem"], scale)
        full = load(entry["stem"], "full") if scale != "full" else this
        this_claims = {c["id"]: c for c in (this or {}).get("claims", [])}
        full_claims = {c["id"]: c for c in (full or {}).get("claims", [])}
        ids = list(this_claims) + [i for i in full_claims if i not in this_claims]
        if not ids:
            rows.append({"chapter": entry["stem"], "file": entry["file"], "claim": "—",
                         "checks": f"no results at {scale} scale", "paper": "—", "full run": MISSING,
                         "full device": "—", "full date": "—", "this build": "—", "threshold": "—",
                         "status": MISSING, "full status": MISSING, "full run (device, date)": MISSING})
            continue
        for cid in ids:
            c, f = this_claims.get(cid), full_claims.get(cid)
            ref = c or f
            rows.append({
                "chapter": entry["stem"], "file": entry["file"], "claim": cid,
                "checks": ref.get("sentence", ""),
                "paper": _value(ref.get("paper")),
                "full run": MISSING if f is None else _value(f.get("measured")),
                "full device": (full or {}).get("device", "—") if f else "—",
                "full date": _date((full or {}).get("date")) if f else "—",
                "this build": MISSING if c is None else _value(c.get("measured")),
                "threshold": f"{ref.get('op', '')} {_value(ref.get('threshold'))}",
                "status": status(c),
                "full status": status(f),
                "full run (device, date)": (MISSING if f is None else
                                            f"{_value(f.get('measured'))} ({status(f)}; {(full or {}).get('device', '—')}, "
                                            f"{_date((full or {}).get('date'))})"),
            })
    return pd.DataFrame(rows, columns=["chapter", "file", "claim", "checks", "paper", "full run", "full device",
                                       "full date", "this build", "threshold", "status", "full status",
                                       "full run (device, date)"])


def chapters_frame(scale: str, chapters: list[dict] | None = None) -> pd.DataFrame:
    """One row a chapter of the toc: written or not, this build's results and time, the full run or missing."""
    chapters = toc_chapters() if chapters is None else chapters
    rows = []
    for entry in chapters:
        this = load(entry["stem"], scale) if entry["written"] else None
        full = load(entry["stem"], "full") if entry["written"] else None
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
def benchmarks_dir() -> Path:
    """``results/benchmarks`` of the project (``FSCORE_RESULTS`` moves it with the other results)."""
    return results_dir("benchmarks")


def record_benchmark(name: str, ratios: dict, device: str | None = None, note: str | None = None) -> Path:
    """Write ``results/benchmarks/<name>.json`` with the speed ratios a ``benchmarks/`` script measured.

    ``ratios`` maps a comparison (``"fscore OMP / sklearn OMP"``) to its time ratio; lower than 1
    means fscore is faster. ``device`` defaults to this machine's CPU.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"a benchmark needs a plain file name, got {name!r}")
    if not isinstance(ratios, dict) or not ratios:
        raise ValueError("ratios must be a non-empty dict of comparison -> ratio")
    clean = {}
    for key, value in ratios.items():
        if isinstance(value, bool):
            raise TypeError(f"ratio {key!r} must be a number, got {value!r}")
        try:
            clean[str(key)] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"ratio {key!r} must be a number, got {value!r}") from None
    if device is None:
        from fscore.runtime import default_device, device_description

        device = device_description(default_device())
    payload = {"name": name, "device": device,
               "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
               "ratios": clean, "note": note}
    folder = benchmarks_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def benchmarks_frame() -> pd.DataFrame:
    """One row a benchmark ratio recorded under ``results/benchmarks``."""
    rows = []
    folder = benchmarks_dir()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        for comparison, ratio in data.get("ratios", {}).items():
            rows.append({"benchmark": data.get("name", path.stem), "comparison": comparison,
                         "ratio": ratio, "device": data.get("device", "—"), "date": _date(data.get("date"))})
    return pd.DataFrame(rows, columns=["benchmark", "comparison", "ratio", "device", "date"])


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
    """Counts of claims by status."""
    return {str(k): int(v) for k, v in claims["status"].value_counts().items()} if len(claims) else {}
