"""After the window's end: the host's timer closed it, with no controller. Alice's attach is refused, the host
equals its snapshot of before the converge (prepare.yml wrote it with state.sh), and the audit has the close.

pytest runs this module after test_1_open.py (file order).
"""

import os
import sys
import time

from windows import CODE, RECORD, TIMER, TRACERS, audit_records, perf_attach, profile_of

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from platforms import hosts  # noqa: E402
from tracing import assert_refused, served, worker_pids  # noqa: E402

testinfra_hosts = hosts()

with open(os.path.join(os.path.dirname(__file__), "..", "state.sh")) as handle:
    STATE = "\n".join(line for line in handle.read().splitlines() if not line.startswith("#"))

# the renewed window ends 180 s after renew.yml began; the timer fires within a second of it (AccuracySec=1s)
WAIT = 300


def wait_until_closed(host):
    deadline = time.time() + WAIT
    while host.file(RECORD).exists:
        assert time.time() < deadline, "window still open %d s into verify: %s" % (
            WAIT, host.run("systemctl status %s; journalctl -q -u debugready-window-debug-access.service" % TIMER).stdout)
        time.sleep(2)


def test_the_timer_closed_the_window(host):
    wait_until_closed(host)
    close = [r for r in audit_records(host) if r["event"] != "open" and r["event"] != "renew"]
    assert [(r["event"], r["by"]) for r in close] == [("close", "timer")], close
    assert close[0]["changed"]
    assert not host.file("/etc/systemd/system/" + TIMER).exists
    assert not host.file(CODE).exists
    assert host.run("systemctl is-failed debugready-window-debug-access.service").stdout.strip() != "failed"


def test_the_host_equals_its_snapshot(host):
    wait_until_closed(host)
    assert host.run(STATE).stdout == host.file("/root/before.txt").content_string


def test_alice_is_refused_again(host):
    wait_until_closed(host)
    profile = profile_of(host)
    if profile == "perf":
        rc, stderr = perf_attach(host, "alice", "/usr/bin/perf")
        assert rc != 0 and "observability operations is limited" in stderr, stderr
    elif profile == "filecap":
        # the copy is gone; what she has left is the package's strace, without CAP_SYS_PTRACE
        assert not host.file(TRACERS[profile]).exists
        assert_refused(host, "alice", "/usr/bin/strace", "Operation not permitted")
    else:
        assert_refused(host, "alice", TRACERS[profile], "a password is required")


def test_apaches_workers_are_not_dumpable_again(host):
    """The service profile's CoreDumpDirectory went with the window, and Apache restarted gracefully: the new workers
    are non-dumpable again (their /proc files belong to root), so even www-data cannot trace them."""
    wait_until_closed(host)
    pids = worker_pids(host)
    assert pids
    for pid in pids:
        assert host.file("/proc/%d/environ" % pid).user == "root", pid
    assert_refused(host, "www-data", "/usr/bin/strace", "Operation not permitted")
    assert served(host)
