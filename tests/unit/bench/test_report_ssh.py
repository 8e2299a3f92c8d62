# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SSH section of docs/benchmarks.md: marginal costs per host from the medians, their ratio, the page."""

from __future__ import annotations

import copy
import importlib.util
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SIZES = (1, 10, 25, 50, 100)
ORDER = ["plain", "pipelining", "controlpersist", "pipelining+controlpersist"]


def load_report():
    spec = importlib.util.spec_from_file_location("bench_report", os.path.join(REPO, "bench", "report.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def case(median, modules, spread=0.5):
    """Three good runs with `median` as their median, and a failed run far off that must not count."""
    runs = [{"wall_s": w, "user_s": 1.0, "sys_s": 0.5, "rc": 0, "remote_module_executions": modules,
             "remote_modules": {"other": modules}} for w in (median - spread, median, median + spread * 3)]
    runs.append({"wall_s": 1000.0, "user_s": 0.0, "sys_s": 0.0, "rc": 4, "log": "/logs/failed.log"})
    return {"runs": runs}


def fleet_ssh(check_line=(3.0, 0.2), ping_line=(1.0, 0.05)):
    variants = {name: {"pipelining": "pipelining" in name, "control_persist": "controlpersist" in name,
                       "env": {"ANSIBLE_PIPELINING": "True" if "pipelining" in name else "False"}} for name in ORDER}
    sizes = {}
    for n in SIZES:
        sizes[str(n)] = {"hosts": n, "reps": 3, "variants": {
            name: {"check": case(check_line[0] + check_line[1] * n, n),
                   "ping": case(ping_line[0] + ping_line[1] * n, n)} for name in ORDER}}
    return {"forks": 10, "connection": "ansible.builtin.ssh", "user": "deploy", "become": "sudo",
            "image": "localhost/debugready-apache:bookworm-sshd", "variants": variants,
            "variant_order": ORDER, "sizes": sizes}


def committed():
    with open(os.path.join(REPO, "docs", "benchmarks.json")) as handle:
        return json.load(handle)


def test_marginal_cost_is_the_slope_of_the_medians_and_failed_runs_do_not_count():
    m = load_report().ssh_marginal(fleet_ssh(), "pipelining")
    assert m["check"]["slope"] == pytest.approx(0.2) and m["check"]["intercept"] == pytest.approx(3.0)
    assert m["ping"]["slope"] == pytest.approx(0.05) and m["ping"]["intercept"] == pytest.approx(1.0)
    assert m["ratio"] == pytest.approx(4.0)
    assert m["check"]["r2"] == pytest.approx(1.0) and m["check"]["sizes"] == len(SIZES)


def test_no_ratio_when_the_ping_line_is_flat():
    m = load_report().ssh_marginal(fleet_ssh(ping_line=(1.0, 0.0)), "plain")
    assert m["check"]["slope"] == pytest.approx(0.2) and m["ratio"] is None


def test_the_page_has_the_ssh_section_in_the_measured_order():
    report = load_report()
    data = copy.deepcopy(committed())
    data["fleet_ssh"] = fleet_ssh()
    text = report.page(data, None, "benchmarks.png", "benchmarks-ssh.png")
    section = text[text.index("## 2b. Fleet over SSH"):]
    section = section[:section.index("\n## ", 1)]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "**4.00**" in line]
    assert [row.split(" | ")[0][2:] for row in rows] == ORDER
    assert "| 0.200 (R² 1.000) | 0.050 (R² 1.000) | **4.00** | 3.00 s | 1.00 s |" in rows[0]
    # N=100 under plain: check 3 + 20 = 23 s, ping 1 + 5 = 6 s, 100 python starts per run each
    assert "| 100 | 3 | plain | 23.00 s (22.50-24.50) | 6.00 s (5.50-7.50) | 3.83 | 100 / 100 |" in section
    assert "`ANSIBLE_PIPELINING=True`" in section and "(benchmarks-ssh.png)" in section
    # the failed runs are listed, not averaged in
    assert "- SSH fleet N=1, plain, check: 1 run(s) failed, e.g. `/logs/failed.log`" in text


def test_without_ssh_results_the_page_and_the_readme_paragraph_are_unchanged():
    report = load_report()
    data = committed()
    data.pop("fleet_ssh", None)  # the committed data has the SSH part now: this test is about a run without it
    assert "Fleet over SSH" not in report.page(data, None, "benchmarks.png").split("## How to run")[0]
    with_ssh = copy.deepcopy(data)
    with_ssh["fleet_ssh"] = fleet_ssh()
    assert report.readme_summary(with_ssh) == report.readme_summary(data)
    # re-measured on another day, the SSH fleet does not add its date to a paragraph that does not quote it
    with_ssh["meta"] = dict(with_ssh["meta"], remeasured={"fleet_ssh": {"started_utc": "2031-01-01T00:00:00Z"}})
    assert "2031-01-01" not in report.readme_summary(with_ssh)
