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
