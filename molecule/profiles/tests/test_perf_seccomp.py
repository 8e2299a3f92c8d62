"""perf_seccomp: the perf profile converged (the copy, the group), yet perf is refused by podman's default seccomp
profile before any kernel check: the role was right to say unreachable.

On the platform of group `perf_seccomp` (molecule.yml).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import as_user, worker_pids  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("perf_seccomp")

COPY = "/usr/local/bin/perf-debug"


def status_field(host, name):
    for line in host.file("/proc/1/status").content_string.splitlines():
        if line.startswith(name + ":"):
            return line.split()[1]
    raise AssertionError("no %s in /proc/1/status" % name)


def test_container_has_perfmon_and_a_seccomp_filter(host):
    assert int(status_field(host, "CapBnd"), 16) >> 38 & 1  # CAP_PERFMON
    assert not int(status_field(host, "CapBnd"), 16) >> 21 & 1  # no CAP_SYS_ADMIN
    assert status_field(host, "Seccomp") == "2"


def test_the_copy_and_the_group_were_made(host):
    copy = host.file(COPY)
    assert copy.user == "root" and copy.group == "debug" and copy.mode == 0o750
    assert host.run("getcap %s" % COPY).stdout.split() == [COPY, "cap_perfmon=ep"]
    assert "debug" in host.user("alice").groups


# perf_event_open(2) on a software event of the calling process, straight from Python: prints the errno name, or
# "opened". perf itself says "No permission to enable task-clock event" for EPERM and EACCES alike; the errno tells
# seccomp's refusal (EPERM) from the kernel's own checks (EACCES).
OPEN_OWN_EVENT = (
    "import ctypes, errno, os, struct\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "# PERF_TYPE_SOFTWARE, size 128, TASK_CLOCK; flags exclude_kernel and exclude_hv, as level 2 requires\n"
    "attr = struct.pack('IIQQQQQ', 1, 128, 1, 0, 0, 0, 1 << 5 | 1 << 6) + bytes(80)\n"
    "fd = libc.syscall(298, ctypes.c_char_p(attr), 0, -1, -1, 0)  # x86_64 __NR_perf_event_open\n"
    "print('opened' if fd >= 0 else errno.errorcode[ctypes.get_errno()])\n"
)


def test_the_member_is_refused_by_seccomp_even_through_the_copy(host):
    """perf through the copy fails, and the refusal is seccomp's EPERM on the member's own process (the kernel's
    checks allow one's own process at every level but Debian's 3, and would answer EACCES)."""
    pid = worker_pids(host)[0]
    for tool in (COPY, "/usr/bin/perf"):
        result = host.run(as_user("alice", "%s stat -x, -e task-clock -p %d -- sleep 0.2" % (tool, pid)))
        assert result.rc == 255 and "No permission to enable task-clock event" in result.stderr, \
            (tool, result.rc, result.stdout, result.stderr)
    host.run("cat > /tmp/debugready-perf-open.py <<'EOF'\n%sEOF" % OPEN_OWN_EVENT)
    for user in ("alice", "root"):
        assert host.run(as_user(user, "python3 /tmp/debugready-perf-open.py")).stdout.strip() == "EPERM", user
