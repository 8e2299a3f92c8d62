"""What the windows scenario's two test modules share: each platform's profile, the real attach it grants, and the
audit records on the host."""

import json
import os
import shlex
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from platforms import groups_of  # noqa: E402
from tracing import as_user, quote, served, worker_pids  # noqa: E402

RECORD = "/var/lib/debugready/windows/debug-access.json"
TIMER = "debugready-window-debug-access.timer"
CODE = "/usr/local/lib/debugready"
# what each profile grants alice, and the tracer she runs (perf: perf_attach below)
TRACERS = {
    "sudo": "sudo -n /usr/bin/strace",
    "filecap": "/usr/local/bin/strace-debug",
    "service": "sudo -n -u www-data /usr/bin/strace",
}


def profile_of(host):
    return [group for group in groups_of(host) if group in ("sudo", "filecap", "service", "perf")][0]


def audit_records(host):
    """The window's audit records on the host (journald), each as a dict of its key=value fields."""
    out = host.check_output("journalctl -q -o cat -t debugready-window")
    return [dict(field.split("=", 1) for field in shlex.split(line) if "=" in field) for line in out.splitlines()]


def perf_attach(host, user, perf):
    """`user` counts task-clock of every Apache worker for one second with `perf`: (exit code, stderr); Apache keeps
    serving."""
    pids = ",".join(str(pid) for pid in worker_pids(host))
    result = host.run("sh -c %s" % quote(as_user(user, "%s stat -e task-clock -p %s -- sleep 1" % (perf, pids))))
    assert served(host)
    return result.rc, result.stderr


def record(host):
    return json.loads(host.file(RECORD).content_string)
