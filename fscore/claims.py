"""Reproduction claims: every chapter ends by checking what the paper says against what it measured.

``run.claim(id, sentence, measured=..., threshold=..., op=">=", paper=..., source=..., paper_seen=...)``
records one claim and writes ``results/<scale>/<chapter>.json`` (schema: :mod:`fscore.results`);
``run.report()`` shows the table *claim / source / paper / committed full-scale run / this run / threshold /
status* and raises :class:`ClaimFailed` if any claim does not hold. The table (:func:`claims_html`, shared with the
dashboard) leads with the claim's sentence, shows its source and note in full, rounds numbers to what they mean
(``unit=``; three significant figures by default) and uses the status words of :mod:`fscore.results`.

A paper's number beside ours names its ``source`` (the table, figure or section; or the repository path)
and ``paper_seen``, how it was seen: ``"paper"`` (the paper's own text), ``"repository"`` (the authors'
repository) or ``"third-party"`` (a copy elsewhere: shown as unverified, counted apart).

A claim that the book could not reproduce is recorded with ``expect="fails"``: the chapter says so
in its text, the table shows it as *does not reproduce (documented)*, and the notebook still fails if it
suddenly holds (then the text is wrong). Thresholds are what the method must show; never lower one to pass.
"""
from __future__ import annotations

import html
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
    unit: str | None = None

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
           note: str | None = None, unit: str | None = None) -> Claim:
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
    unit : str, optional
        How the tables show ``measured``, ``threshold`` and ``paper`` (:data:`fscore.results.UNITS`):
        ``"points"`` for a difference of accuracies the sentence states in points (0.05 is shown as 5 points),
        ``"%"`` for a fraction, or a short label written after the number (``"s"``). Default: three
        significant figures, no unit. It changes only how the numbers are shown, never the check.

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
    results.check_unit(unit)
    measured, threshold = _number(measured, "measured"), _number(threshold, "threshold")
    holds = (not math.isnan(measured)) and bool(OPS[op](measured, threshold))
    claim = Claim(id, sentence, measured, op, threshold, paper, source, expect, holds, note, paper_seen, unit)
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


# -------------------------------------------------------------------------------------------- display
OP_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(value, unit: str | None = None, digits: int = 3) -> str:
    """A claim's number as the tables show it, rounded to ``digits`` significant figures.

    ``unit`` (:data:`fscore.results.UNITS`): ``"points"`` shows a fraction x 100 as percentage points,
    ``"%"`` as a percentage; any other label is written after the number. Very small or large numbers are
    written ``3.87×10⁻¹²``; ``None`` is ``—``.
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isnan(value):
        return "nan"
    if unit in results.UNITS:
        value *= 100
    rounded = float(f"{value:.{digits}g}")
    if rounded == 0:
        text = "0"
    elif 1e-3 <= abs(rounded) < 1e6:
        text = f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:g}"
    else:
        mantissa, exponent = f"{rounded:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    if unit == "points":
        return f"{text} point" + ("" if text == "1" else "s")
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}" if unit else text


def threshold_text(op: str, threshold, unit: str | None = None) -> str:
    """``≥ 5 points``: the comparison a claim must meet, its threshold to three significant figures."""
    return f"{OP_SYMBOLS.get(op, op)} {format_number(threshold, unit)}"


def paper_value(claim: dict) -> str:
    """The paper's number as the tables show it (four significant figures, the claim's unit): ``—`` when none,
    followed by ``(unverified)`` unless it was seen in a primary source (:func:`fscore.results.paper_verified`)."""
    paper = claim.get("paper")
    if paper is None:
        return "—"
    text = (format_number(paper, claim.get("unit"), digits=4)
            if isinstance(paper, (int, float)) and not isinstance(paper, bool) else str(paper))
    return text if results.paper_verified(claim) else f"{text} (unverified)"


def device_label(device: str | None) -> str:
    """``cpu:x86_64 x2`` -> ``CPU (x86_64, 2 cores)``; ``cuda:NVIDIA H100`` -> ``GPU (NVIDIA H100)``."""
    if not device:
        return "unknown device"
    kind, _, name = str(device).partition(":")
    if kind == "cpu":
        arch, _, cores = name.rpartition(" x")
        return f"CPU ({arch}, {cores} cores)" if arch and cores.isdigit() else f"CPU ({name or 'unknown'})"
    if kind == "cuda":
        return f"GPU ({name})" if name else "GPU"
    return str(device)


def run_label(data: dict | None) -> str:
    """``CPU (x86_64, 2 cores), 2026-11-25, 259 s``: where, when and how long a chapter's run was."""
    if not data:
        return "—"
    seconds = data.get("wall_time_s")
    time = f", {format_number(seconds)} s" if isinstance(seconds, (int, float)) else ""
    return f"{device_label(data.get('device'))}, {(data.get('date') or '')[:10] or 'undated'}{time}"


def display_row(this: dict | None, full: dict | None, this_missing: str = results.MISSING,
                full_missing: str = results.MISSING) -> dict:
    """One claim as the tables show it, from its record in this run and in the committed full-scale run.

    Either may be None (the claim was not recorded there); ``this_missing`` and ``full_missing`` then say what is
    missing (``"missing: full scale only"``). Keys: ``claim`` (the sentence), ``id``, ``source``, ``note``,
    ``paper``, ``paper verified``, ``full run``, ``full status``, ``this run``, ``threshold``, ``status``.
    """
    ref = this or full
    if ref is None:
        raise ValueError("a claim row needs the claim from this run or from the full run")
    unit = ref.get("unit")
    notes = [ref.get("note")]
    if this and full and full.get("note") and full.get("note") != this.get("note"):
        notes.append(f"Full run: {full['note']}")
    threshold = threshold_text(ref.get("op", ""), ref.get("threshold"), unit)
    return {
        "claim": ref.get("sentence", ""),
        "id": ref.get("id", ""),
        "source": ref.get("source") or "—",
        "note": " ".join(n for n in notes if n),
        "paper": paper_value(ref),
        "paper verified": results.paper_verified(ref),
        "full run": full_missing if full is None else format_number(full.get("measured"), unit),
        "full status": results.claim_status(full),
        "this run": this_missing if this is None else format_number(this.get("measured"), unit),
        "threshold": threshold if this is not None else f"{threshold} (full scale)",
        "status": results.claim_status(this),
    }


def claims_table(run):
    """A DataFrame of ``run``'s claims as the chapter shows them (:func:`display_row`), the committed full run beside.

    ``attrs``: ``scale``, ``this run`` and ``full run`` (device, date, wall time, or what is missing).
    """
    import pandas as pd

    full = results.read_chapter(run.chapter, "full") if run.scale != "full" else None
    full_claims = {c["id"]: c for c in (full or {}).get("claims", [])}
    missing = (f"{results.MISSING}: not in the committed full-scale run" if full else
               f"{results.MISSING}: no committed full-scale run")
    table = pd.DataFrame([display_row(asdict(c), full_claims.get(c.id), full_missing=missing) for c in run.claims],
                         columns=["claim", "id", "source", "note", "paper", "paper verified", "full run",
                                  "full status", "this run", "threshold", "status"])
    table.attrs.update({
        "scale": run.scale,
        "this run": f"{run.scale} scale on {device_label(device_description(run.device))}, "
                    f"{format_number(run.wall_time)} s",
        "full run": (run_label(full) if full else
                     "this is the full-scale run" if run.scale == "full" else "no committed full-scale run yet"),
    })
    return table


# ----------------------------------------------------------------------------------------------- HTML
_STATUS_CLASS = {results.HOLDS: "holds", results.FAILS: "fails", results.NOT_REPRODUCED: "documented",
                 results.UNEXPECTEDLY_HOLDS: "fails", results.MISSING: "missing"}


def status_html(status: str) -> str:
    """A status word of :mod:`fscore.results`, marked: failing ones bold (and red with the book's CSS)."""
    kind = _STATUS_CLASS.get(status.split(":")[0], "missing")
    tag = "strong" if status in results.FAILING else "span"
    return f'<{tag} class="fscore-status fscore-status-{kind}">{html.escape(status)}</{tag}>'


def paper_html(text: str, verified: bool | None) -> str:
    """The paper's value; an unverified one (third-party copy) in its own style, with a tooltip saying why."""
    if verified is False:
        return ('<em class="fscore-unverified" title="seen only in a third-party copy, not in the paper or the '
                f'authors\' repository">{html.escape(text)}</em>')
    return html.escape(text)


def claims_html(rows: list[dict], this_label: str = "This run", show_full: bool = True) -> str:
    """The claims table of a chapter or of the dashboard, as HTML (styled by ``_assets/fscore.css``).

    ``rows`` are :func:`display_row` dicts, or ``{"heading": html}`` for a group row spanning the table (the
    dashboard's chapter rows: trusted HTML). Every cell carries ``data-label`` so that the book's CSS can stack
    each claim as a card at phone width; the text is never truncated, and the columns wrap to the page.
    """
    columns = ["Claim", "Source", "Paper"] + (["Full run"] if show_full else []) + [this_label, "Threshold",
                                                                                      "Status"]
    head = "".join(f'<th scope="col" class="fscore-col-{_slug(c)}">{html.escape(c)}</th>' for c in columns)
    body = []
    for row in rows:
        if "heading" in row:
            body.append(f'<tr class="fscore-group"><th colspan="{len(columns)}" scope="colgroup">{row["heading"]}'
                        f"</th></tr>")
            continue
        claim = (f'<span class="fscore-claim-sentence">{html.escape(row["claim"])}</span> '
                 f'<code class="fscore-claim-id">{html.escape(row["id"])}</code>')
        if row.get("note"):
            claim += f'<div class="fscore-claim-note"><b>Note:</b> {html.escape(row["note"])}</div>'
        cells = {"Claim": claim, "Source": html.escape(row["source"]),
                 "Paper": paper_html(row["paper"], row.get("paper verified")),
                 "Full run": (f'{html.escape(row["full run"])}' + ("" if row["full status"] == results.MISSING
                                                                   else f"<br>{status_html(row['full status'])}")),
                 this_label: html.escape(row["this run"]), "Threshold": html.escape(row["threshold"]),
                 "Status": status_html(row["status"])}
        failing = row["status"] in results.FAILING or (show_full and row["full status"] in results.FAILING)
        tds = "".join(f'<td data-label="{html.escape(c)}" class="fscore-col-{_slug(c)}">{cells[c]}</td>'
                      for c in columns)
        body.append(f'<tr class="{"claim-fails" if failing else "claim-ok"}">{tds}</tr>')
    return (f'<div class="fscore-table-wrap"><table class="table fscore-claims">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _slug(column: str) -> str:
    return column.lower().split(" (")[0].replace(" ", "-")


class ClaimsReport:
    """What ``run.report()`` displays: HTML in a notebook or the book, plain text elsewhere."""

    def __init__(self, table):
        self.table = table

    def summary(self) -> str:
        counts = self.table["status"].value_counts()
        claims = f"{len(self.table)} claim" + ("" if len(self.table) == 1 else "s")
        return f"{claims}: " + ", ".join(f"{n} {status}" for status, n in counts.items())

    def _repr_html_(self) -> str:
        attrs = self.table.attrs
        intro = (f"<p><strong>Reproduction checks</strong> — {html.escape(self.summary())}. "
                 f"This run: {html.escape(attrs['this run'])}; committed full-scale run: "
                 f"{html.escape(attrs['full run'])}.</p>")
        return intro + claims_html(self.table.to_dict("records"), this_label=f"This run ({attrs['scale']})",
                                   show_full=attrs["scale"] != "full")

    def __repr__(self) -> str:
        lines = [f"Reproduction checks — {self.summary()}. This run: {self.table.attrs['this run']}; "
                 f"committed full-scale run: {self.table.attrs['full run']}."]
        for row in self.table.to_dict("records"):
            lines.append(f"- {row['claim']} [{row['id']}]: {row['this run']} (threshold {row['threshold']}), "
                         f"{row['status']}; full run {row['full run']}; paper {row['paper']}"
                         + (f"; source: {row['source']}" if row["source"] != "—" else "")
                         + (f"; note: {row['note']}" if row["note"] else ""))
        return "\n".join(lines)


def report(run) -> None:
    """Finish ``run``: write its complete results, display the claims table, fail on a broken claim."""
    if not run.claims:
        raise ClaimFailed(f"{run.chapter} recorded no claims: every chapter ends with its reproduction checks")
    write_results(run, complete=True)
    shown = ClaimsReport(claims_table(run))
    try:
        from IPython.display import display

        display(shown)
    except ImportError:  # plain Python: print instead
        print(repr(shown))
    broken = [c for c in run.claims if not c.as_expected]
    if broken:
        raise ClaimFailed("\n".join(c.describe() for c in broken))
