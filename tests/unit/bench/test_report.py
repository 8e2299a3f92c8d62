# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's performance paragraph is generated from docs/benchmarks.json and must be the current one."""

from __future__ import annotations

import copy
import importlib.util
import json
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def load_report():
    spec = importlib.util.spec_from_file_location("bench_report", os.path.join(REPO, "bench", "report.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results():
    with open(os.path.join(REPO, "docs", "benchmarks.json")) as handle:
        return json.load(handle)


def test_the_readme_paragraph_is_the_one_the_results_give():
    # Fails when someone edits the figures by hand or re-measures without running bench/report.
    assert load_report().update_readme(os.path.join(REPO, "README.md"), results(), check_only=True), (
        "README.md's performance paragraph is stale: run bench/report")


def test_the_paragraph_follows_the_numbers(tmp_path):
    report = load_report()
    data = results()
    text = report.readme_summary(data)
    changed = copy.deepcopy(data)
    changed["on_target"]["configs"][0]["median_ms"] = 149.4
    assert "takes 149 ms on a target" in report.readme_summary(changed) and "takes 149 ms" not in text
    readme = tmp_path / "README.md"
    readme.write_text("# x\n%s\nold figures\n%s\nafter\n" % (report.README_BEGIN, report.README_END))
    assert report.update_readme(str(readme), changed, check_only=True) is False
    report.update_readme(str(readme), changed)
    assert report.update_readme(str(readme), changed, check_only=True) is True
    body = readme.read_text()
    assert "old figures" not in body and body.endswith("%s\nafter\n" % report.README_END)


def test_the_optimisation_notes_quote_this_runs_figures():
    # docs/benchmarks.md carries bench/optimisations.md with the figures filled in from docs/benchmarks.json:
    # a figure edited by hand in either place, or a re-measurement without bench/report, fails here.
    report = load_report()
    with open(os.path.join(REPO, "bench", "optimisations.md")) as handle:
        notes = handle.read()
    with open(os.path.join(REPO, "docs", "benchmarks.md")) as handle:
        page = handle.read()
    rendered = report.render_notes(notes, results()).rstrip()
    assert "{{" not in rendered
    assert rendered in page, "docs/benchmarks.md's optimisation notes are stale: run bench/report"


def test_notes_follow_the_numbers_and_refuse_unknown_figures():
    report = load_report()
    data = results()
    changed = copy.deepcopy(data)
    changed["on_target"]["configs"][0]["median_ms"] = 140.04
    assert report.render_notes("default {{ facts_default_ms }} ms", changed) == "default 140.0 ms"
    assert report.render_notes("{{check_s}} s", {"meta": {}}) == "n/a s"  # a run without that part
    try:
        report.render_notes("{{ no_such_figure }}", data)
    except SystemExit as exc:
        assert "unknown figures: no_such_figure" in str(exc)
    else:
        raise AssertionError("an unknown figure name was accepted")
