"""revert: after the service profile and a revert, the host equals what it was before.

On the platform of group `revert` (molecule.yml).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, served, worker_pids  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("revert")

with open(os.path.join(os.path.dirname(__file__), "..", "state.sh")) as handle:
    STATE = "\n".join(line for line in handle.read().splitlines() if not line.startswith("#"))


def test_host_equals_the_state_before(host):
    before = host.file("/root/before.txt").content_string
    after = host.run(STATE).stdout
    assert after == before


def test_trace_refused_again(host):
    assert_refused(host, "alice", "sudo -n -u www-data /usr/bin/strace", "a password is required")


def test_workers_not_dumpable_again(host):
    pids = worker_pids(host)
    assert pids
    for pid in pids:
        assert host.file("/proc/%d/environ" % pid).user == "root"
    assert served(host)
