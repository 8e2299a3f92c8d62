"""The "facts" scenario: what ptrace_facts reported (converge saved it) against the container's real state.

Runs through testinfra's podman backend on both platforms (molecule.yml): one container with
CAP_SYS_PTRACE in its bounding set, one without. Every expectation is read from the system
itself (/proc, getcap, visudo, sudo -l), not restated from the module's code.
"""

import json
import os
import sys
from xml.etree import ElementTree

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import sudo_permits  # noqa: E402

CAP_SYS_PTRACE = 19


def has_ptrace_platform(host):
    """True on the platform started with --cap-add SYS_PTRACE."""
    return host.backend.name.endswith("-ptrace")


@pytest.fixture
def facts(host):
    return json.loads(host.file("/root/ptrace_facts.json").content_string)


def proc_status_field(host, pid, field):
    for line in host.file("/proc/%s/status" % pid).content_string.splitlines():
        key, sep, value = line.partition(":")
        if sep and key == field:
            return value.strip()
    raise AssertionError("no %s in /proc/%s/status" % (field, pid))


def apache_worker_pids(host):
    return [p.pid for p in host.process.filter(comm="apache2", user="www-data")]


def getcap(host, path):
    out = host.check_output("getcap %s", path)
    return out.split(None, 1)[1].strip() if out.strip() else ""


# --- the containers themselves ------------------------------------------------------------

def test_apache_is_pid1_with_www_data_workers(host):
    assert host.file("/proc/1/comm").content_string.strip() == "apache2"
    assert apache_worker_pids(host)


def test_apache_answers_http(host):
    assert host.run("curl -fsS -o /dev/null http://127.0.0.1/").rc == 0


def test_strace_attaches_to_worker_only_with_cap_sys_ptrace(host):
    pid = apache_worker_pids(host)[0]
    # Attached: strace runs until timeout stops it (124). Refused: strace exits 1 at once.
    cmd = host.run("timeout 2 strace -e trace=none -o /dev/null -p %s", str(pid))
    if has_ptrace_platform(host):
        assert cmd.rc == 124, cmd.stderr
    else:
        assert cmd.rc == 1
        assert "Operation not permitted" in cmd.stderr


# --- container and capability sets ----------------------------------------------------------

def test_container_engine_and_bounding_set(host, facts):
    container = facts["container"]
    assert container["detected"] is True
    assert container["engine"] == "podman" and host.file("/run/.containerenv").exists
    real_bounding = int(proc_status_field(host, 1, "CapBnd"), 16)
    assert container["sys_ptrace_in_bounding_set"] is bool(real_bounding >> CAP_SYS_PTRACE & 1)
    assert container["sys_ptrace_in_bounding_set"] is has_ptrace_platform(host)
    # The names decode the same mask the kernel reports (capsh-free check: bit by bit).
    names = container["capabilities"]["bounding"]
    assert len(names) == bin(real_bounding).count("1")
    assert ("cap_sys_ptrace" in names) is has_ptrace_platform(host)
    assert container["no_new_privs"] is (proc_status_field(host, 1, "NoNewPrivs") == "1")
    findings = [f["id"] for f in facts["findings"]]
    assert ("container_no_sys_ptrace" in findings) is not has_ptrace_platform(host)


def test_kernel_and_lsm(host, facts):
    assert facts["kernel"]["suid_dumpable"] == int(host.file("/proc/sys/fs/suid_dumpable").content_string)
    assert facts["kernel"]["release"] == host.check_output("uname -r")
    assert facts["lsm"]["selinux"]["enabled"] is host.file("/sys/fs/selinux/enforce").exists


# --- Yama: runtime (the build machines' kernel has none) and the boot winner ------------------

def test_yama_runtime_matches_proc(host, facts):
    yama = facts["yama"]
    scope_file = host.file("/proc/sys/kernel/yama/ptrace_scope")
    assert yama["present"] is scope_file.exists
    if scope_file.exists:
        assert yama["scope"] == int(scope_file.content_string)
        assert yama["not_writable_reason"] == "read_only"  # /proc/sys is read-only in a container
    else:
        assert yama["scope"] is None and yama["not_writable_reason"] == "no_yama"
    assert yama["writable"] is False


def test_yama_boot_winner_from_real_files(host, facts):
    boot = facts["yama"]["boot"]
    binaries = ("/usr/lib/systemd/systemd-sysctl", "/lib/systemd/systemd-sysctl")
    has_systemd_sysctl = any(host.file(p).exists for p in binaries)
    assert boot["applier"] == ("systemd_sysctl" if has_systemd_sysctl else "sysctl_system")
    for applier in ("systemd_sysctl", "sysctl_system"):
        resolution = boot[applier]
        assert (resolution["scope"], resolution["source"], resolution["line"]) == (
            1, "/etc/sysctl.d/10-ptrace.conf", 2)
        assert [a["path"] for a in resolution["assignments"]] == [
            "/usr/lib/sysctl.d/10-default-yama-scope.conf", "/etc/sysctl.d/10-ptrace.conf"]
        masked = dict((m["path"], m) for m in resolution["masked"])
        assert masked["/etc/sysctl.d/50-masked.conf"]["dev_null"] is True
        assert masked["/usr/lib/sysctl.d/50-masked.conf"]["masked_by"] == "/etc/sysctl.d/50-masked.conf"
    assert (boot["scope"], boot["source"]) == (1, "/etc/sysctl.d/10-ptrace.conf")
    assert host.file("/etc/sysctl.d/50-masked.conf").linked_to == "/dev/null"


# --- perf and eBPF: the kernel's settings, lockdown and tracefs as the container sees them ----------------

def test_perf_settings_are_the_kernels_and_the_boot_winner_is_the_etc_file(host, facts):
    perf = facts["perf"]
    for key, setting in perf["settings"].items():
        live = host.file("/proc/sys/" + key.replace(".", "/"))
        assert setting["runtime"] == (int(live.content_string) if live.exists else None), key
    paranoid = perf["settings"]["kernel.perf_event_paranoid"]
    # /etc/sysctl.d/60-perf.conf masks the vendor file of the same name
    assert (paranoid["boot"]["value"], paranoid["boot"]["source"]) == (1, "/etc/sysctl.d/60-perf.conf")
    assert paranoid["drift"] is (paranoid["runtime"] is not None and paranoid["runtime"] != 1)


def test_lockdown_and_tracefs_as_the_container_sees_them(host, facts):
    perf = facts["perf"]
    lockdown = host.file("/sys/kernel/security/lockdown")
    if lockdown.exists:
        text = lockdown.content_string
        assert perf["lockdown"]["mode"] == text[text.index("[") + 1:text.index("]")]
    else:  # securityfs is not mounted in a podman container
        assert perf["lockdown"] == {"mode": None, "available": None}
    mounts = host.file("/proc/self/mountinfo").content_string.splitlines()
    for fstype in ("tracefs", "debugfs"):
        assert perf[fstype]["mounted"] is any(" - %s " % fstype in line for line in mounts), fstype
    assert perf["bpftrace"]["installed"] is host.exists("bpftrace")


# --- tools and CAP_SYS_PTRACE files -------------------------------------------------------

def test_tools_match_the_filesystem(host, facts):
    for name in ("strace", "gdb", "ltrace"):
        tool = facts["tools"][name]
        path = host.check_output("command -v %s", name)
        assert tool["installed"] is True and tool["path"] == path
        assert tool["mode"] == "%04o" % host.file(path).mode
        assert (tool["owner"], tool["group"]) == (host.file(path).user, host.file(path).group)
        assert tool["caps"] == getcap(host, path) == ""
    assert facts["tools"]["strace"]["version"] in host.run("strace -V").stdout.splitlines()[0]
    assert facts["tools"]["perf"]["installed"] is host.exists("perf")


def test_ptrace_files_decoded_natively_equal_getcap(host, facts):
    reported = dict((f["path"], f) for f in facts["capabilities"]["ptrace_files"])
    real = {}
    for line in host.check_output("getcap -r /usr/local /usr/bin /usr/sbin /usr/libexec 2>/dev/null || true").splitlines():
        path, text = line.split(None, 1)
        if "cap_sys_ptrace" in text:
            real[path] = text.strip()
    assert set(reported) == set(real) == {"/usr/local/bin/strace-debug", "/usr/local/sbin/strace-world",
                                          "/usr/local/bin/strace-perm"}
    for path, text in real.items():
        assert reported[path]["caps"] == text
        assert reported[path]["mode"] == "%04o" % host.file(path).mode
        assert reported[path]["group"] == host.file(path).group
        assert reported[path]["world_executable"] is bool(host.file(path).mode & 0o001)
    assert reported["/usr/local/bin/strace-debug"]["caps"] == "cap_sys_ptrace=ep"
    flagged = [f["path"] for f in facts["findings"] if f["id"] == "filecap_world_executable"]
    assert flagged == ["/usr/local/sbin/strace-world"]


# --- sudoers: the parsed tree against sudo itself -----------------------------------------

def test_sudoers_tree_valid_and_files(host, facts):
    sudoers = facts["sudoers"]
    assert sudoers["installed"] is True
    assert sudoers["valid"] is (host.run("visudo -c").rc == 0) is True
    assert sudoers["version"] in host.check_output("sudo -V | head -n 1")
    assert sudoers["files"] == ["/etc/sudoers", "/etc/sudoers.d/README", "/etc/sudoers.d/debug",
                                "/etc/sudoers.d/expired", "/etc/sudoers.d/tools"]
    skipped = dict((s["path"], s["reason"]) for s in sudoers["skipped"])
    assert skipped == {"/etc/sudoers.d/debug.conf": "name_contains_dot"}
    finding = [f for f in facts["findings"] if f["id"] == "sudoers_file_skipped"]
    assert [f["path"] for f in finding] == ["/etc/sudoers.d/debug.conf"]
    # sudo really ignores it: bob may not run gdb although debug.conf says so.
    assert sudo_permits(host, "bob", "/usr/bin/gdb") is False


def test_sudoers_grants_agree_with_sudo(host, facts):
    grants = dict((g["principal"], g) for g in facts["sudoers"]["grants"])
    debug = grants["%debug"]
    assert (debug["tools"], debug["runas"], debug["nopasswd"], debug["expired"]) == (
        ["strace"], ["root"], True, False)
    assert (debug["source"], debug["line"], debug["not_after_utc"]) == (
        "/etc/sudoers.d/debug", 1, "2099-12-31T00:00:00Z")
    assert sudo_permits(host, "alice", "/usr/bin/strace -p 1") is True
    bob = grants["bob"]
    assert bob["expired"] is True
    assert sudo_permits(host, "bob", "/usr/bin/strace -p 1") is False
    assert "sudoers_grant_expired" in [f["id"] for f in facts["findings"]]
    carol = grants["carol"]
    assert (carol["via"], carol["alias"], carol["tools"], carol["runas"], carol["as_root"]) == (
        "alias", "DEBUGGERS", ["gdb"] + (["ltrace"] if host.exists("ltrace") else []), ["www-data"], False)
    assert sudo_permits(host, "carol", "/usr/bin/gdb", runas="www-data") is True
    assert sudo_permits(host, "carol", "/usr/bin/gdb") is False
    assert grants["root"]["via"] == "all"


# --- the fleet report of the check playbook (side_effect ran it on the controller) ----------

@pytest.fixture(scope="module")
def report_dir():
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "debugready-report")


@pytest.fixture(scope="module")
def report(report_dir):
    with open(os.path.join(report_dir, "report.json")) as handle:
        return json.load(handle)


def test_report_has_one_row_per_container(report):
    rows = report["hosts"]
    assert sorted(r["host"] for r in rows) == ["debugready-facts-plain", "debugready-facts-ptrace"]


def test_report_verdicts_follow_the_bounding_set(host, report):
    rows = report["hosts"]
    row = [r for r in rows if r["host"] == host.backend.name][0]
    workers = len(apache_worker_pids(host))
    (verdict,) = row["trace_verdicts"]
    if has_ptrace_platform(host):
        assert verdict.startswith("root may trace %d apache2 process(es) via direct" % workers)
    else:
        # No CAP_SYS_PTRACE anywhere in the container: root is refused, and the host is not ready.
        assert verdict.startswith("root may not trace %d apache2 process(es) via direct: " % workers)
        assert row["ready"] is False and verdict in row["not_ready_because"]
        assert "the container lacks SYS_PTRACE" in row["not_ready_because"]
    # What the kernel says, measured: strace as root against the first worker.
    probe = host.run("timeout -s INT 1 strace -p %s", str(apache_worker_pids(host)[0]))
    assert ("Operation not permitted" in probe.stderr) is not has_ptrace_platform(host)


def test_junit_marks_the_host_without_sys_ptrace_as_failed(report_dir):
    suite = ElementTree.parse(os.path.join(report_dir, "junit.xml")).getroot()
    failures = dict((case.get("name"), case.find("failure").get("message")) for case in suite.iter("testcase")
                    if case.find("failure") is not None)
    assert "the container lacks SYS_PTRACE" in failures["debugready-facts-plain"]
    assert "lacks SYS_PTRACE" not in failures.get("debugready-facts-ptrace", "")
    with open(os.path.join(report_dir, "report.md")) as handle:
        markdown = handle.read()
    assert "| debugready-facts-plain | **no**" in markdown
