"""service profile: alice traces Apache's workers as www-data only; the workers are dumpable.

On the platform of group `service` (molecule.yml).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, assert_traces_a_request, served, sudo_permits, worker_pids  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("service")


def test_member_traces_a_real_request_as_www_data(host):
    assert_traces_a_request(host, "alice", "sudo -n -u www-data /usr/bin/strace")


def test_no_root_path(host):
    assert sudo_permits(host, "alice", "/usr/bin/strace") is False
    assert sudo_permits(host, "alice", "/usr/bin/strace", runas="www-data") is True
    assert_refused(host, "dave", "sudo -n -u www-data /usr/bin/strace", "a password is required")


def test_workers_dumpable_through_coredumpdirectory(host):
    conf = host.file("/etc/apache2/conf-enabled/debugready-coredump.conf")
    assert "CoreDumpDirectory /var/lib/debugready/cores" in conf.content_string
    pids = worker_pids(host)
    assert pids
    for pid in pids:
        # task_dump_owner(): a dumpable www-data process's /proc files belong to www-data.
        assert host.file("/proc/%d/environ" % pid).user == "www-data"
    assert served(host)
