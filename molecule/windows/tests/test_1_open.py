"""While the window is open (after the renewal, molecule.yml): the record and the timer are on the host, alice's
real attach succeeds, and the audit has the opening and the renewal.

pytest runs this module before test_2_closed.py (file order); the window ends 180 s after the renewal began.
"""

import datetime

from windows import CODE, RECORD, TIMER, TRACERS, audit_records, perf_attach, profile_of, record

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from platforms import hosts  # noqa: E402
from tracing import assert_traces_a_request  # noqa: E402

testinfra_hosts = hosts()


def test_the_window_is_open_and_its_timer_waits(host):
    ends = datetime.datetime.strptime(record(host)["ends_at"], "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.datetime.utcnow()
    # if this fails the steps before verify took longer than the renewed window (renew.yml): lengthen it there
    assert ends > now + datetime.timedelta(seconds=5), (ends, now)
    assert host.file(RECORD).mode == 0o600 and host.file(RECORD).user == "root"
    assert host.run("systemctl is-active %s" % TIMER).stdout.strip() == "active"
    assert host.file(CODE + "/ansible_collections/debugready/ptrace/plugins/module_utils/_window_cli.py").exists


def test_alice_traces_apache_now(host):
    profile = profile_of(host)
    if profile == "perf":
        rc, stderr = perf_attach(host, "alice", "/usr/local/bin/perf-debug")
        assert rc == 0 and "task-clock" in stderr, stderr
    else:
        assert_traces_a_request(host, "alice", TRACERS[profile])


def test_the_audit_has_the_opening_and_the_renewal(host):
    events = [(r["event"], r.get("name"), r.get("profile")) for r in audit_records(host)]
    assert events[:2] == [("open", "debug-access", profile_of(host)), ("renew", "debug-access", profile_of(host))]
