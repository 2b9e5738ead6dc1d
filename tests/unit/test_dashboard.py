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
    one = claims[claims["chapter"] == "ch01_one"].set_index("id")
    assert list(one.index) == ["good", "bad", "documented", "full_only"]
    assert one.loc["good", "claim"] == "good checks something" and one.loc["good", "title"] == "1. One"
    assert one.loc["good", "paper"] == "0.95" and one.loc["good", "full run"] == "0.97"
    assert one.loc["good", "paper verified"] and one.loc["good", "source"] == "Table 1"
    assert one.loc["good", "this build"] == "0.9" and one.loc["good", "status"] == "holds"
    assert one.loc["good", "threshold"] == "≥ 0.5"
    assert one.loc["bad", "status"] == "FAILS"
    assert one.loc["bad", "full run"] == "missing: not in the committed full-scale run"
    assert one.loc["documented", "status"] == fresults.NOT_REPRODUCED
    assert one.loc["full_only", "this build"] == "missing: full scale only"
    assert one.loc["full_only", "status"] == fresults.MISSING
    two = claims[claims["chapter"] == "ch02_two"]
    assert len(two) == 1 and two.iloc[0]["status"] == fresults.MISSING
    assert two.iloc[0]["full run"] == "missing: no committed full-scale run"
    assert "ch03_planned" not in set(claims["chapter"])


def test_device_and_date_are_shown_once_a_chapter_not_on_every_row(book):
    chapters = fbook.toc_chapters(exclude=("dashboard",))
    page = dashboard.claims_html(dashboard.claims_frame("quick", chapters), "quick", "chapters/z/dashboard", chapters)
    assert page.count("GPU (NVIDIA H100)") == 1 and page.count("2026-01-02") == 2  # full run and this build, once
    assert page.count('class="fscore-group"') == 2
    assert 'href="../a/ch01_one.html">1. One</a>' in page
    assert "committed full-scale run: GPU (NVIDIA H100), 2026-01-02, 140 s" in page
    assert "this build: quick scale, CPU (x86_64, 2 cores), 2026-01-02, 12.5 s" in page
    assert ">Source</th>" in page and ">Status</th>" in page


def test_a_failing_claim_is_shown_as_failing_in_the_html(book):
    chapters = fbook.toc_chapters(exclude=("dashboard",))
    page = dashboard.claims_html(dashboard.claims_frame("quick", chapters), "quick", "chapters/z/dashboard", chapters)
    assert page.count('class="claim-fails"') == 1
    assert '<strong class="fscore-status fscore-status-fails">FAILS</strong>' in page


def test_status_of_each_kind_of_claim():
    assert fresults.claim_status(None) == fresults.MISSING
    assert fresults.claim_status(claim("x", 1, True)) == "holds"
    assert fresults.claim_status(claim("x", 0, False)) == "FAILS"
    assert fresults.claim_status(claim("x", 0, False, expect="fails")) == "does not reproduce (documented)"
    assert fresults.claim_status(claim("x", 1, True, expect="fails")) == "UNEXPECTEDLY HOLDS"


def test_chapters_frame_has_run_times_and_the_full_run_or_missing(book):
    frame = dashboard.chapters_frame("quick", fbook.toc_chapters(exclude=("dashboard",))).set_index("chapter")
    assert frame.loc["ch01_one", "quick time (s)"] == 12.5 and frame.loc["ch01_one", "complete"]
    assert frame.loc["ch01_one", "full run"] == "GPU (NVIDIA H100), 2026-01-02, 140 s"
    assert frame.loc["ch01_one", "as expected"] == 2  # good and documented; bad is not
    assert frame.loc["ch02_two", "full run"] == "missing: no committed full-scale run"
    assert not frame.loc["ch02_two", "complete"] and frame.loc["ch02_two", "state"] == "no results at quick scale"
    assert frame.loc["ch03_planned", "state"] == "not written yet"
    assert dashboard.full_run_devices(frame.reset_index()) == "1 chapter on GPU (NVIDIA H100), 1 chapter without one yet"
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
    page = dashboard.benchmarks_html(frame)
    assert "<td data-label=\"Better\" class=\"fscore-col-better\">lower is better</td>" in page
    assert "higher is better" in page and page.count("CPU (test)") == 1  # the device once, in the heading row
    assert "load average" in json.loads(path.read_text())["note"]  # how busy the machine was, for the record


def test_benchmark_ratios_have_three_significant_figures(book):
    fresults.write_benchmark("dsir", {"weigh: fscore / official": 0.32766228067343495, "x / y": 23.376928}, device="cpu:x86_64 x2")
    page = dashboard.benchmarks_html(dashboard.benchmarks_frame())
    assert ">0.328<" in page and ">23.4<" in page and "0.32766" not in page
    assert "CPU (x86_64, 2 cores)" in page


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
    chapters = fbook.toc_chapters(exclude=("dashboard",))
    claims = dashboard.claims_frame("quick", chapters)
    row = claims[claims["id"] == "broken"].iloc[0]
    assert row["status"] == "holds" and row["full status"] == "FAILS" and row["full run"] == "0.1"
    page = dashboard.claims_html(claims[claims["id"] == "broken"], "quick", "chapters/z/dashboard", chapters)
    assert 'class="claim-fails"' in page and "0.1<br><strong class=\"fscore-status fscore-status-fails\">FAILS" in page


def test_unverified_paper_values_are_marked_and_counted_apart(book):
    results(book / "results" / "quick", "ch02_two", [claim("seen", 1, True, paper=0.8),
                                                     claim("copied", 1, True, paper=0.854, seen="third-party")], "quick")
    claims = dashboard.claims_frame("quick", fbook.toc_chapters(exclude=("dashboard",)))
    two = claims[claims["chapter"] == "ch02_two"].set_index("id")
    assert two.loc["seen", "paper"] == "0.8" and two.loc["copied", "paper"] == "0.854 (unverified)"
    page = dashboard.claims_html(claims, "quick", "chapters/z/dashboard", fbook.toc_chapters(exclude=("dashboard",)))
    assert page.count('<em class="fscore-unverified"') == 1
    counts = dashboard.summary(claims)
    assert counts["paper values, verified"] == 2 and counts["paper values, unverified"] == 1
