# SPDX-License-Identifier: GPL-3.0-or-later
"""Time ptrace_facts' work on a target: _hoststate.gather() as the module calls it.

Usage: python3 bench/facts_on_target.py [--runs N] [--subset yama,container] [--no-versions] [--no-validate]
Run it on the target (e.g. inside a container with the checkout mounted). It prints the
median, min and max wall time and the peak RSS of the process. The runner spawns the same
commands the module does (visudo -c, sudo -V, tool version options) with LC_ALL=C.
"""

from __future__ import annotations

import argparse
import json
import os
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
from ansible_collections.debugready.ptrace.plugins.module_utils import _hoststate  # noqa: E402


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, LC_ALL="C", LANG="C"))
    return proc.returncode, proc.stdout, proc.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--subset", default="all")
    parser.add_argument("--no-versions", action="store_true")
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args()
    sections = _hoststate.SECTIONS if args.subset == "all" else tuple(args.subset.split(","))
    times = []
    for dummy in range(args.runs):
        start = time.perf_counter()
        facts = _hoststate.gather(sections=sections, run=run, validate_sudoers=not args.no_validate,
                                  tool_versions=not args.no_versions, hostname=socket.gethostname())
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({
        "subset": args.subset, "versions": not args.no_versions, "validate": not args.no_validate,
        "runs": args.runs, "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "findings": len(facts["findings"]),
    }))


if __name__ == "__main__":
    main()
