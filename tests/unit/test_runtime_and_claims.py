import json
import os

import numpy as np
import pytest
import torch

import fscore
from fscore import results
from fscore.claims import (ClaimFailed, ClaimsReport, claims_html, claims_table, device_label, display_row,
                           format_number, threshold_text)


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("FSCORE_RESULTS", str(tmp_path))
    return fscore.start("ch99_test", scale="quick", seed=3)


def test_default_scale_reads_the_environment(monkeypatch):
    monkeypatch.setenv("FSCORE_SCALE", "full")
    assert fscore.default_scale() == "full"
    monkeypatch.setenv("FSCORE_SCALE", "huge")
    with pytest.raises(ValueError, match="quick or full"):
        fscore.default_scale()


def test_start_prints_scale_device_and_seed(run, capsys):
    fscore.start("ch99_test", scale="quick", seed=3)
    out = capsys.readouterr().out
    assert "scale=quick" in out and "device=cpu" in out and "seed=3" in out
    assert run.pick(quick=1, full=2) == 1


def test_seeding_makes_reruns_identical():
    a = fscore.start("x", scale="quick", seed=7)
    first = (a.rng.random(3), torch.rand(3), np.random.rand())
    b = fscore.start("x", scale="quick", seed=7)
    second = (b.rng.random(3), torch.rand(3), np.random.rand())
    assert np.allclose(first[0], second[0]) and torch.equal(first[1], second[1]) and first[2] == second[2]


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        fscore.start("x", scale="quick", seed=seed)


def test_a_claim_that_holds_is_written_with_metadata(run, tmp_path):
    run.claim("a", "one is at least one half", measured=1.0, threshold=0.5, paper=1.0, source="folklore, Sec. 1",
              paper_seen="paper")
    run.report()
    data = json.loads((tmp_path / "quick" / "ch99_test.json").read_text())
    assert data["complete"] and data["seed"] == 3 and data["device"].startswith("cpu")
    assert data["claims"][0]["holds"] and data["claims"][0]["paper"] == 1.0
    assert data["wall_time_s"] >= 0 and "date" in data


def test_a_failing_claim_fails_with_expected_and_measured(run, tmp_path):
    run.claim("ok", "fine", measured=2, threshold=1)
    run.claim("bad", "the error is small", measured=0.3, threshold=0.1, op="<=")
    with pytest.raises(ClaimFailed, match=r"'bad' does not hold: expected measured <= 0.1, measured 0.3"):
        run.report()
    data = json.loads((tmp_path / "quick" / "ch99_test.json").read_text())
    assert [c["holds"] for c in data["claims"]] == [True, False]  # a failure is recorded, never hidden


def test_nan_never_satisfies_a_claim(run):
    run.claim("nan", "a measurement", measured=float("nan"), threshold=0.0)
    with pytest.raises(ClaimFailed):
        run.report()


def test_documented_negative_passes_until_it_holds(run):
    run.claim("neg", "does not reproduce here", measured=0.2, threshold=0.9, expect="fails")
    run.report()
    assert claims_table(run)["status"].tolist() == [results.NOT_REPRODUCED]
    run.claim("neg2", "suddenly reproduces", measured=0.95, threshold=0.9, expect="fails")
    with pytest.raises(ClaimFailed, match="update the chapter"):
        run.report()


def test_bad_claims_are_refused(run):
    with pytest.raises(ValueError, match="op must be"):
        run.claim("x", "s", measured=1, threshold=1, op="=>")
    with pytest.raises(TypeError, match="measured must be a number"):
        run.claim("x", "s", measured="high", threshold=1)
    run.claim("x", "s", measured=1, threshold=1)
    with pytest.raises(ValueError, match="recorded twice"):
        run.claim("x", "s", measured=1, threshold=1)


def test_a_chapter_without_claims_fails(run):
    with pytest.raises(ClaimFailed, match="no claims"):
        run.report()


def test_table_shows_the_committed_full_run(run, tmp_path, monkeypatch):
    root = tmp_path / "book"
    (root / "results" / "full").mkdir(parents=True)
    (root / "_toc.yml").write_text("root: x\n")
    full = {"device": "cuda:H100", "date": "2026-01-01", "wall_time_s": 60,
            "claims": [{"id": "a", "measured": 0.99, "holds": True}]}
    (root / "results" / "full" / "ch99_test.json").write_text(json.dumps(full))
    monkeypatch.setenv("FSCORE_ROOT", str(root))
    assert results.read_chapter("ch99_test", "full")["device"] == "cuda:H100"
    run.claim("a", "s", measured=0.9, threshold=0.5, paper=0.98, source="Table 1", paper_seen="third-party")
    run.report()
    table = claims_table(run)
    assert table.loc[0, "full run"] == "0.99" and table.loc[0, "full status"] == results.HOLDS
    assert table.loc[0, "paper"] == "0.98 (unverified)" and not table.loc[0, "paper verified"]
    assert table.attrs["full run"] == "GPU (H100), 2026-01-01, 60 s"


def test_a_paper_value_names_its_source_and_how_it_was_seen(run):
    with pytest.raises(ValueError, match="needs its source"):
        run.claim("p", "s", measured=1, threshold=1, paper=0.9)
    with pytest.raises(ValueError, match="paper_seen must be one of"):
        run.claim("p", "s", measured=1, threshold=1, paper=0.9, source="Table 2")
    with pytest.raises(ValueError, match="without a paper value"):
        run.claim("p", "s", measured=1, threshold=1, paper_seen="paper")
    run.claim("p", "s", measured=1, threshold=1, paper=0.9, source="Table 2", paper_seen="paper")
    assert claims_table(run).loc[0, "paper"] == "0.9"


def test_results_of_an_older_schema_are_read_with_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("FSCORE_ROOT", str(tmp_path))
    (tmp_path / "results" / "full").mkdir(parents=True)
    old = {"chapter": "c", "claims": [{"id": "a", "measured": 1, "holds": True, "paper": 0.5}]}
    (tmp_path / "results" / "full" / "c.json").write_text(json.dumps(old))
    data = results.read_chapter("c", "full")
    assert data["schema"] == results.SCHEMA and data["claims"][0]["paper_seen"] is None
    assert results.paper_verified(data["claims"][0]) is False
    (tmp_path / "results" / "full" / "c.json").write_text(json.dumps({**old, "schema": 99}))
    with pytest.raises(ValueError, match="update fscore"):
        results.read_chapter("c", "full")


def test_package_import_graph_has_no_cycle():
    """Every fscore module's fscore imports, followed from the source, never lead back to the module."""
    import ast
    import pathlib

    package = pathlib.Path(fscore.__file__).parent
    graph = {}
    for path in package.rglob("*.py"):
        name = ".".join(("fscore", *path.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fscore"):
                deps |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("fscore")}
        graph[name] = deps
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    # a package's __init__ importing its own submodules is not a cycle through the submodule
    graph = {m: {d for d in deps if not (d.startswith(m + "."))} for m, deps in graph.items()}

    def visit(node, stack):
        if node in stack:
            raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(node):], node]))
        for dep in graph.get(node, ()):
            visit(dep, [*stack, node])

    for module in graph:
        visit(module, [])


# ------------------------------------------------------------------------------ the claims table
@pytest.mark.parametrize("value, unit, text", [
    (0.14717, None, "0.147"), (0.14717, "points", "14.7 points"), (0.01, "points", "1 point"),
    (0.9, "%", "90%"), (1.0, None, "1"), (0.0, None, "0"), (-0.0139, None, "-0.0139"), (23.377, None, "23.4"),
    (468.98, "s", "469 s"), (60000, None, "60,000"), (3.865e-12, None, "3.87×10⁻¹²"), (1e-9, None, "1×10⁻⁹"),
    (float("nan"), None, "nan"), (None, None, "—")])
def test_numbers_are_rounded_to_what_they_mean(value, unit, text):
    assert format_number(value, unit) == text


def test_thresholds_have_three_significant_figures_and_the_claims_unit():
    assert threshold_text(">=", 0.03362998797496806, "points") == "≥ 3.36 points"
    assert threshold_text("<=", 1e-9) == "≤ 1×10⁻⁹"
    assert threshold_text("==", 1.0) == "= 1"


def test_a_unit_is_recorded_and_a_bad_one_refused(run, tmp_path):
    run.claim("gap", "at least 5 points better", measured=0.147, threshold=0.05, unit="points")
    with pytest.raises(ValueError, match="unit must be"):
        run.claim("bad", "s", measured=1, threshold=1, unit="")
    run.report()
    data = json.loads((tmp_path / "quick" / "ch99_test.json").read_text())
    assert data["claims"][0]["unit"] == "points"
    assert claims_table(run).loc[0, "this run"] == "14.7 points"


def test_device_labels_name_the_device():
    assert device_label("cpu:x86_64 x2") == "CPU (x86_64, 2 cores)"
    assert device_label("cuda:NVIDIA H200") == "GPU (NVIDIA H200)"
    assert device_label(None) == "unknown device"


def claim_dict(**kw):
    base = {"id": "acc", "sentence": "SA is at least as accurate as LLY", "measured": 0.8451, "op": ">=",
            "threshold": 0.8, "paper": 0.854, "source": "Table 2 (as quoted by a third party)",
            "paper_seen": "third-party", "expect": "holds", "holds": True, "note": "the paper's table is unread",
            "unit": None}
    return {**base, **kw}


def test_the_html_table_leads_with_the_sentence_and_shows_everything_untruncated():
    long_source = "Yasuda et al. (ICLR 2023), Table 2: " + "a very long source description " * 6
    row = display_row(claim_dict(source=long_source), claim_dict(measured=0.85, note="full-scale caveat"))
    page = claims_html([row])
    cells = page.split("<td")[1:]
    assert "SA is at least as accurate as LLY" in cells[0] and cells[0].index("SA is") < cells[0].index("acc</code>")
    assert long_source in page and "the paper&#x27;s table is unread" in page and "Full run: full-scale caveat" in page
    assert '<em class="fscore-unverified"' in page and "0.854 (unverified)" in page
    assert [c.split('data-label="')[1].split('"')[0] for c in cells] == [
        "Claim", "Source", "Paper", "Full run", "This run", "Threshold", "Status"]
    assert "..." not in page


def test_every_status_word_comes_from_results_and_failures_are_bold():
    rows = [display_row(claim_dict(id="a", holds=True), None),
            display_row(claim_dict(id="b", holds=False), None),
            display_row(claim_dict(id="c", holds=False, expect="fails"), None),
            display_row(claim_dict(id="d", holds=True, expect="fails"), None)]
    assert [r["status"] for r in rows] == [results.HOLDS, results.FAILS, results.NOT_REPRODUCED,
                                           results.UNEXPECTEDLY_HOLDS]
    page = claims_html(rows)
    assert page.count('class="claim-fails"') == 2
    assert '<strong class="fscore-status fscore-status-fails">FAILS</strong>' in page
    assert ">does not reproduce (documented)</span>" in page


def test_the_report_has_html_and_text_and_leaves_out_the_full_column_at_full_scale(tmp_path, monkeypatch):
    monkeypatch.setenv("FSCORE_RESULTS", str(tmp_path))
    full = fscore.start("ch99_full", scale="full", seed=0)
    full.claim("a", "one is one", measured=1, threshold=1, op="==")
    shown = ClaimsReport(claims_table(full))
    assert "Full run" not in shown._repr_html_() and "This run (full)" in shown._repr_html_()
    assert repr(shown).startswith("Reproduction checks — 1 claim: 1 holds.")


# ------------------------------------------------------------------------- progress bars, by environment
@pytest.mark.parametrize("fscore_progress, tqdm_disable, drawn", [
    (None, None, True), ("0", None, False), ("1", "1", True), (None, "1", False), (None, "0", True), ("off", None, False)])
def test_progress_bars_are_decided_by_the_environment(monkeypatch, capsys, fscore_progress, tqdm_disable, drawn):
    from fscore.progress import enabled, progress

    for name, value in (("FSCORE_PROGRESS", fscore_progress), ("TQDM_DISABLE", tqdm_disable)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert enabled() is drawn
    assert list(progress(range(3), desc="steps", mininterval=0)) == [0, 1, 2]
    assert ("steps" in capsys.readouterr().err) is drawn


def test_a_book_build_runs_its_notebooks_without_progress_bars(monkeypatch):
    from fscore import sphinx_html

    monkeypatch.delenv("FSCORE_PROGRESS", raising=False)
    monkeypatch.setenv("TQDM_DISABLE", "")

    class App:
        def connect(self, *args, **kwargs):
            pass

    sphinx_html.setup(App())
    assert os.environ["FSCORE_PROGRESS"] == "0" and os.environ["TQDM_DISABLE"] == ""  # set ones are kept
