# SPDX-License-Identifier: GPL-3.0-or-later
"""Time ptrace_facts' and trace_check's work on a target, as the modules call it.

Usage: python3 bench/facts_on_target.py [--runs N] [--subset yama,container] [--no-versions] [--no-validate]
       python3 bench/facts_on_target.py --trace-check --user alice --process apache2 --process-user www-data --via sudo
       ... [--profile 30]   (cProfile over the runs: the top 30 functions by cumulative time, in the JSON)
Run it on the target (e.g. inside a container with a copy of the collection, as bench/run does). It prints
one JSON line: the median, min and max wall time of the runs, the peak RSS of this process and of the
commands it ran. The runner spawns the same commands the modules do (visudo -c, sudo -V, tool version
options, sudo -l) with LC_ALL=C. Only the work is timed, not Python's start-up or the imports.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def collection_path():
    parts = REPO.split(os.sep)
    if parts[-3:] == ["ansible_collections", "debugready", "ptrace"]:
        return os.sep.join(parts[:-3])
    base = tempfile.mkdtemp(prefix="debugready-bench-")
    os.makedirs(os.path.join(base, "ansible_collections", "debugready"))
    os.symlink(REPO, os.path.join(base, "ansible_collections", "debugready", "ptrace"))
    return base


sys.path.insert(0, collection_path())
from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate, _tracecheck  # noqa: E402

COMMANDS = []


def run(argv):
    COMMANDS.append(argv[0])
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C", LANG="C"))
    return proc.returncode, proc.stdout, proc.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--subset", default="all")
    parser.add_argument("--no-versions", action="store_true")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--trace-check", action="store_true", help="time trace_check instead of ptrace_facts")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--process", default="apache2")
    parser.add_argument("--process-user", default=None)
    parser.add_argument("--via", default="sudo", choices=_tracecheck.VIAS)
    parser.add_argument("--trace-json", default=None, metavar="JSON",
                        help="ptrace_facts' `trace` option (a JSON list of requests), answered on the same snapshot")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile the runs with cProfile and report the top N functions")
    args = parser.parse_args()
    sections = _hoststate.SECTIONS if args.subset == "all" else tuple(args.subset.split(","))
    if args.trace_check:
        params = {"user": args.user, "process": args.process, "process_user": args.process_user, "via": args.via,
                  "runas": "root", "tool": "strace", "probe": False}

        def work():
            return _tracecheck.check(params, run)
    else:
        requests = json.loads(args.trace_json) if args.trace_json else []
        if requests:
            # As ptrace_facts does with its `trace` option: the sections the verdicts need, one snapshot.
            sections = tuple(s for s in _hoststate.SECTIONS if s in set(sections) | set(_tracecheck.NEEDED_SECTIONS))

        def work():
            facts = _hoststate.gather(sections=sections, run=run, validate_sudoers=not args.no_validate,
                                      tool_versions=not args.no_versions, hostname=socket.gethostname())
            if requests:
                facts["trace"] = _tracecheck.verdicts(requests, facts, run)
            return facts
    profiler = cProfile.Profile() if args.profile else None
    times = []
    for dummy in range(args.runs):
        del COMMANDS[:]
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = work()
        if profiler:
            profiler.disable()
        times.append((time.perf_counter() - start) * 1000)
    out = {
        "subset": args.subset, "versions": not args.no_versions, "validate": not args.no_validate,
        "trace_check": args.trace_check, "trace_json": args.trace_json,
        "runs": args.runs, "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1), "times_ms": [round(t, 2) for t in times],
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "commands_per_run": list(COMMANDS),
    }
    if args.trace_check:
        out["targets"] = len(result["targets"])
        out["allowed"] = result["allowed"]
    else:
        out["findings"] = len(result["findings"])
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.profile)
        out["profile"] = text.getvalue()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
