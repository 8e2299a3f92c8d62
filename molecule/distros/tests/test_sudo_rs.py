"""sudo profile on a host where sudo is sudo-rs: a member traces real requests through it, the facts say sudo-rs,
and the grant is the one converge wrote (sudo_rs_refusals.yml's failed runs of the role with a time box or an
I/O log changed nothing).

On the platforms of group `sudo_rs` (molecule.yml), through testinfra's ansible backend (host.ansible runs
ptrace_facts there); a platform of that group whose `sudo -V` does not say sudo-rs fails every test.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "_shared"))
from tracing import assert_refused, assert_traces_a_request, served  # noqa: E402
from platforms import hosts  # noqa: E402

testinfra_hosts = hosts("sudo_rs", backend="ansible")

GRANT = "/etc/sudoers.d/debugready-sudo"


@pytest.fixture(autouse=True)
def sudo_rs(host):
    version = host.run("sudo -V")
    assert (version.stdout + version.stderr).startswith("sudo-rs "), (version.stdout + version.stderr)[:40]
    return (version.stdout + version.stderr).split()[1]


def test_member_traces_a_real_request_through_sudo_rs(host):
    assert_traces_a_request(host, "alice", "sudo -n /usr/bin/strace")


def test_non_member_is_refused_by_sudo_rs(host):
    assert_refused(host, "dave", "sudo -n /usr/bin/strace", "I'm sorry dave")


def test_the_grant_has_neither_notafter_nor_log_output(host):
    grant = host.file(GRANT)
    assert (grant.user, grant.group, grant.mode) == ("root", "root", 0o440)
    assert "%debug ALL=(root) NOPASSWD: /usr/bin/strace, /usr/bin/gdb" in grant.content_string
    assert "NOTAFTER" not in grant.content_string and "LOG_OUTPUT" not in grant.content_string
    check = host.run("visudo -c")
    assert check.rc == 0 and "warning" not in check.stdout + check.stderr


def facts(host):
    out = host.ansible("debugready.ptrace.ptrace_facts", "gather_subset=sudoers", check=False)
    return out["ansible_facts"]["ptrace"]["sudoers"]


def test_facts_say_sudo_rs(host, sudo_rs):
    sudoers = facts(host)
    assert sudoers["implementation"] == {"name": "sudo-rs", "version": sudo_rs, "source": "sudo -V"}
    assert sudoers["parser"] == "python" and sudoers["valid"] is True
    ours = [g for g in sudoers["grants"] if g["source"] == GRANT]
    assert set(g["principal"] for g in ours) == {"%debug"}
    assert sorted(t for g in ours for t in g["tools"]) == ["gdb", "strace"]
    assert all(g["log_output"] is None and g["not_after"] is None for g in ours)


def test_apache_keeps_serving(host):
    assert served(host)
