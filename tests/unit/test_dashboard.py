"""The reproduction dashboard reads every chapter's results, shows failures, and records benchmarks."""
import json

import pytest

from fscore import book as fbook
from fscore import dashboard
from fscore import results as fresults


def notebook(title):
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n", "text"]}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def claim(id, measured, holds, expect="holds", paper=None, seen="paper"):
    return {"id": id, "sentence": f"{id} checks something", "measured": measured, "op": ">=", "threshold": 0.5,
            "paper": paper, "source": "Table 1" if paper is not None else None,
            "paper_seen": seen if paper is not None else None, "expect": expect, "holds": holds, "note": None}


def results(folder, chapter, claims, scale, device="cpu:x86_64 x2", complete=True, wall=12.5):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{chapter}.json").write_text(json.dumps({
        "chapter": chapter, "scale": scale, "seed": 0, "device": device, "date": "2026-01-02T03:04:05+00:00",
        "wall_time_s": wall, "complete": complete, "claims": claims}))


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A book of two written chapters, one planned chapter, a markdown page and the dashboard itself."""
    monkeypatch.setenv("FSCORE_ROOT", str(tmp_path))
    monkeypatch.delenv("FSCORE_RESULTS", raising=False)
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: chapters/intro\nparts:\n"
        "  - caption: Part A\n    chapters:\n      - file: chapters/a/ch01_one\n      - file: chapters/a/ch02_two\n"
        "      - file: chapters/a/ch03_planned\n"
        "  - caption: Appendix\n    chapters:\n      - file: chapters/z/dashboard\n      - file: chapters/z/outline\n")
    (tmp_path / "chapters" / "a").mkdir(parents=True)
    (tmp_path / "chapters" / "z").mkdir(parents=True)
    (tmp_path / "chapters" / "intro.md").write_text("# Intro\n")
    (tmp_path / "chapters" / "a" / "ch01_one.ipynb").write_text(notebook("1. One"))
    (tmp_path / "chapters" / "a" / "ch02_two.ipynb").write_text(notebook("2. Two"))
    (tmp_path / "chapters" / "z" / "dashboard.ipynb").write_text(notebook("Dashboard"))
    (tmp_path / "chapters" / "z" / "outline.md").write_text("# Outline\n")
    quick, full = tmp_path / "results" / "quick", tmp_path / "results" / "full"
    results(quick, "ch01_one", [claim("good", 0.9, True, paper=0.95), claim("bad", 0.1, False),
                                claim("documented", 0.2, False, expect="fails")], "quick")
    results(full, "ch01_one", [claim("good", 0.97, True, paper=0.95), claim("full_only", 0.8, True)], "full",
            device="cuda:NVIDIA H100", wall=140.0)
    return tmp_path


def test_toc_chapters_lists_notebooks_in_order_and_marks_the_unwritten(book):
    chapters = fbook.toc_chapters(exclude=("dashboard",))
    assert [c["stem"] for c in chapters] == ["ch01_one", "ch02_two", "ch03_planned"]
    assert [c["written"] for c in chapters] == [True, True, False]
    assert chapters[0]["title"] == "1. One" and chapters[0]["part"] == "Part A"


def test_claims_frame_lists_every_claim_with_paper_full_and_this_build(book):
    claims = dashboard.claims_frame("quick", fbook.toc_chapters(exclude=("dashboard",)))
    one = claims[claims["chapter"] == "ch01_one"].set_index("claim")
    assert list(one.index) == ["good", "bad", "documented", "full_only"]
    assert one.loc["good", "paper"] == "0.95" and one.loc["good", "full run"] == "0.97"
    assert one.loc["good", "paper verified"] and one.loc["good", "source"] == "Table 1"
    assert one.loc["good", "full device"] == "cuda:NVIDIA H100" and one.loc["good", "full date"] == "2026-01-02"
    assert one.loc["good", "this build"] == "0.9" and one.loc["good", "status"] == "holds"
    assert one.loc["bad", "status"] == "FAILS" and one.loc["bad", "full run"] == fresults.MISSING
    assert one.loc["documented", "status"] == fresults.NOT_REPRODUCED
    assert one.loc["full_only", "this build"] == fresults.MISSING
    two = claims[claims["chapter"] == "ch02_two"]
    assert len(two) == 1 and two.iloc[0]["status"] == fresults.MISSING
    assert "ch03_planned" not in set(claims["chapter"])


def test_a_failing_claim_is_shown_as_failing_in_the_html(book):
    claims = dashboard.claims_frame("quick", fbook.toc_chapters(exclude=("dashboard",)))
    html = dashboard.to_html(claims, "chapters/z/dashboard")
    assert html.count('class="claim-fails"') == 1
    assert '<strong style="color:#b00020">FAILS</strong>' in html
    assert 'href="../a/ch01_one.html"' in html


def test_status_of_each_kind_of_claim():
    assert fresults.claim_status(None) == fresults.MISSING
    assert fresults.claim_status(claim("x", 1, True)) == "holds"
    assert fresults.claim_status(claim("x", 0, False)) == "FAILS"
    assert fresults.claim_status(claim("x", 0, False, expect="fails")) == "does not reproduce (documented)"
    assert fresults.claim_status(claim("x", 1, True, expect="fails")) == "UNEXPECTEDLY HOLDS"


def test_chapters_frame_has_run_times_and_the_full_run_or_missing(book):
    frame = dashboard.chapters_frame("quick", fbook.toc_chapters(exclude=("dashboard",))).set_index("chapter")
    assert frame.loc["ch01_one", "quick time (s)"] == 12.5 and frame.loc["ch01_one", "complete"]
    assert frame.loc["ch01_one", "full run"] == "cuda:NVIDIA H100, 2026-01-02, 140.0 s"
    assert frame.loc["ch01_one", "as expected"] == 2  # good and documented; bad is not
    assert frame.loc["ch02_two", "full run"] == fresults.MISSING and not frame.loc["ch02_two", "complete"]
    assert frame.loc["ch03_planned", "state"] == "not written yet"
    html = dashboard.to_html(frame, "chapters/z/dashboard", link="title")
    assert 'href="../a/ch01_one.html">1. One</a>' in html and "ch03_planned.html" not in html


def test_write_benchmark_round_trips(book):
    path = fresults.write_benchmark("linear", {"fscore OMP / sklearn OMP": 0.5, "SA / greedy": 2}, device="cpu:test",
                                    better={"SA / greedy": "higher"})
    assert path == book / "results" / "benchmarks" / "linear.json"
    frame = dashboard.benchmarks_frame()
    assert list(frame["comparison"]) == ["fscore OMP / sklearn OMP", "SA / greedy"]
    assert list(frame["ratio"]) == [0.5, 2.0] and set(frame["device"]) == {"cpu:test"}
    assert list(frame["better"]) == ["lower", "higher"]


def test_no_benchmarks_gives_an_empty_table(book):
    assert dashboard.benchmarks_frame().empty


@pytest.mark.parametrize("name, ratios, error", [
    ("", {"a": 1}, ValueError), ("../x", {"a": 1}, ValueError), ("ok", {}, ValueError),
    ("ok", {"a": "fast"}, TypeError), ("ok", {"a": True}, TypeError), ("ok", [1, 2], ValueError),
    ("ok", {"a": float("inf")}, ValueError)])
def test_write_benchmark_rejects_bad_input(book, name, ratios, error):
    with pytest.raises(error):
        fresults.write_benchmark(name, ratios, device="cpu")


def test_chapter_href_is_relative_to_the_page():
    assert dashboard.chapter_href("chapters/part1/ch01", "chapters/part9_appendix/dashboard") == "../part1/ch01.html"
    assert dashboard.chapter_href("chapters/intro", "chapters/part9_appendix/dashboard") == "../intro.html"


def test_a_claim_failing_in_the_full_run_is_marked_too(book):
    results(book / "results" / "full", "ch02_two", [claim("broken", 0.1, False)], "full")
    results(book / "results" / "quick", "ch02_two", [claim("broken", 0.9, True)], "quick")
    claims = dashboard.claims_frame("quick", fbook.toc_chapters(exclude=("dashboard",)))
    row = claims[claims["claim"] == "broken"].iloc[0]
    assert row["status"] == "holds" and row["full status"] == "FAILS"
    assert row["full run (device, date)"] == "0.1 (FAILS; cpu:x86_64 x2, 2026-01-02)"
    html = dashboard.to_html(claims[claims["claim"] == "broken"], "chapters/z/dashboard",
                             columns=["chapter", "claim", "full run (device, date)", "status"])
    assert 'class="claim-fails"' in html and '<strong style="color:#b00020">0.1 (FAILS;' in html


def test_unverified_paper_values_are_marked_and_counted_apart(book):
    results(book / "results" / "quick", "ch02_two", [claim("seen", 1, True, paper=0.8),
                                                     claim("copied", 1, True, paper=0.854, seen="third-party")], "quick")
    claims = dashboard.claims_frame("quick", fbook.toc_chapters(exclude=("dashboard",)))
    two = claims[claims["chapter"] == "ch02_two"].set_index("claim")
    assert two.loc["seen", "paper"] == "0.8" and two.loc["copied", "paper"] == "0.854 (unverified)"
    counts = dashboard.summary(claims)
    assert counts["paper values, verified"] == 2 and counts["paper values, unverified"] == 1
