# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The check playbook as AWX/AAP run it: through ansible-runner (the engine of AWX's jobs), with the job's
privilege escalation on the command line, and the results read back from the runner's artifacts (job events).

The managed node is this machine (local connection), read-only. As root, `-b --become-user nobody` makes the
difference visible: ptrace_facts then runs as nobody, who may not run `visudo -c`.
"""

from __future__ import annotations

import json
import os

import ansible_runner
import pytest

NEEDS_ROOT = {"skipped": "visudo -c needs root"}


def run_check(tmp_path, cmdline=""):
    """(runner, ptrace_facts' result, the stats the check published, its report directory)."""
    private = tmp_path / "runner"
    (private / "inventory").mkdir(parents=True)
    (private / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n")
    report = tmp_path / "report"
    runner = ansible_runner.run(private_data_dir=str(private), playbook="debugready.ptrace.check",
                                cmdline="%s -e debugready_report_dir=%s" % (cmdline, report), quiet=True)
    events = list(runner.events)
    assert runner.rc == 0, runner.stdout.read()
    facts = [e["event_data"]["res"] for e in events if e["event"] == "runner_on_ok"
             and e["event_data"]["task_action"] == "debugready.ptrace.ptrace_facts"]
    assert len(facts) == 1
    (stats,) = [e["event_data"] for e in events if e["event"] == "playbook_on_stats"]
    return runner, facts[0]["ansible_facts"]["ptrace"], stats.get("artifact_data", {}), report


@pytest.mark.skipif(os.geteuid() != 0, reason="runs as root and becomes nobody")
def test_the_callers_privilege_escalation_is_used(tmp_path):
    # AWX passes the job template's "Privilege Escalation" as -b: the check must not switch it off.
    facts = run_check(tmp_path, "-b --become-user nobody")[1]
    assert facts["sudoers"]["validation"] == NEEDS_ROOT


@pytest.mark.skipif(os.geteuid() != 0, reason="runs as root and becomes nobody")
def test_without_escalation_it_runs_as_the_connection_user(tmp_path):
    facts = run_check(tmp_path)[1]
    assert facts["sudoers"]["validation"] != NEEDS_ROOT and facts["sudoers"]["valid"] in (True, False)


@pytest.mark.skipif(os.geteuid() != 0, reason="runs as root and becomes nobody")
def test_debugready_become_wins_over_the_command_line(tmp_path):
    facts = run_check(tmp_path, "-b --become-user nobody -e debugready_become=false")[1]
    assert facts["sudoers"]["validation"] != NEEDS_ROOT


def test_the_summary_is_published_as_the_jobs_stats_and_matches_the_report(tmp_path):
    runner, facts, artifact, report = run_check(tmp_path)
    assert facts["sudoers"]["validation"] != NEEDS_ROOT
    with open(str(report / "report.json")) as handle:
        (row,) = json.load(handle)["hosts"]
    summary = artifact["debugready"]
    assert summary == {
        "ready": 1 if row["ready"] else 0,
        "total": 1,
        "not_ready": [] if row["ready"] else ["localhost"],
        "hosts": {"localhost": {"ready": row["ready"], "not_ready_because": row["not_ready_because"],
                                "trace_verdicts": row["trace_verdicts"]}},
    }
    # the runner keeps it with the job's artifacts too (what AWX stores as the job's artifacts)
    assert runner.stats["ok"]["localhost"] >= 1


def test_report_files_can_be_left_out_and_the_stats_still_come(tmp_path):
    artifact, report = run_check(tmp_path, "-e debugready_report_files=false")[2:]
    assert not report.exists()
    assert artifact["debugready"]["total"] == 1
