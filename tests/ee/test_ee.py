# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection in an execution environment, as AWX/AAP run it.

tests/ee/run builds the EE with ansible-builder (DEBUGREADY_EE names it) and starts nothing else; this module
starts two Apache containers with sshd (tests/images/build-image --sshd), one with CAP_SYS_PTRACE and one
without, and runs the check, converge and revert playbooks *inside* the EE through ansible-runner with podman
process isolation, over SSH with pipelining as an unprivileged user with sudo (AWX's usual machine
credential). Results are read back from the runner's artifacts (job events), as AWX reads them; what the
playbooks claim is checked against a real strace attach in the container.
"""

from __future__ import annotations

import json
import os
import subprocess

import ansible_runner
import pytest

EE = os.environ.get("DEBUGREADY_EE", "localhost/debugready-ee:test")
NODE_IMAGE = "localhost/debugready-apache:bookworm-sshd"
NODES = {"debugready-ee-ptrace": ["--cap-add", "SYS_PTRACE"], "debugready-ee-plain": []}
TRACE = [{"user": "alice", "process": "apache2", "process_user": "www-data", "via": "sudo"}]


def podman(*args, stdin=None):
    return subprocess.run(("podman",) + args, input=stdin, capture_output=True, text=True, check=True).stdout


def in_node(node, script, stdin=None):
    return podman("exec", "-i", node, "sh", "-ec", script, stdin=stdin)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The private data dir of the runner jobs (inventory and SSH key) over the two started nodes."""
    base = tmp_path_factory.mktemp("ee")
    key = base / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    lines = []
    for node, options in NODES.items():
        subprocess.run(["podman", "rm", "-f", "-t", "0", node], capture_output=True, check=False)
        podman("run", "-d", "--name", node, *options, NODE_IMAGE)
        # deploy: the job's SSH user, sudo without a password and without a tty; alice and dave: users to trace.
        in_node(node, "useradd -m -s /bin/bash deploy; useradd -m -s /bin/bash alice; useradd -m -s /bin/bash dave;"
                      " echo 'deploy ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/deploy; chmod 0440 /etc/sudoers.d/deploy;"
                      " install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh;"
                      " cat > /home/deploy/.ssh/authorized_keys; chown deploy: /home/deploy/.ssh/authorized_keys;"
                      " mkdir -p /run/sshd; /usr/sbin/sshd",
                stdin=(base / "id_ed25519.pub").read_text())
        address = podman("inspect", "-f", "{{.NetworkSettings.IPAddress}}", node).strip()
        lines.append("%s ansible_host=%s" % (node, address))
    private = base / "runner"
    (private / "inventory").mkdir(parents=True)
    (private / "inventory" / "hosts").write_text(
        "[web]\n%s\n[web:vars]\nansible_user=deploy\nansible_python_interpreter=/usr/bin/python3\n" % "\n".join(lines))
    # The machine credential's key, as AWX hands it to the runner: env/ssh_key, which the runner passes through a
    # FIFO to an ssh-agent that it starts in the EE around ansible-playbook (the key is never a file in the EE).
    (private / "env").mkdir()
    (private / "env" / "ssh_key").write_bytes(key.read_bytes())
    yield private
    for node in NODES:
        subprocess.run(["podman", "rm", "-f", "-t", "0", node], capture_output=True, check=False)


def job(private, playbook, extravars, cmdline=""):
    """Run a playbook in the EE as AWX does; returns (events, the set_stats data)."""
    runner = ansible_runner.run(
        private_data_dir=str(private), playbook=playbook, extravars=extravars, cmdline=cmdline, quiet=True,
        process_isolation=True, process_isolation_executable="podman", container_image=EE,
        # The runner creates the private data dir's artifacts as this (root) user with mode 0700, and rootful
        # podman maps no user, so the image's uid 1000 could not write them: run the EE as root. (AWX runs the EE
        # as the user that owns the directory.)
        container_options=["--user=0"],
        envvars={"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_PIPELINING": "True",
                 "ANSIBLE_COLLECTIONS_PATH": "/usr/share/ansible/collections"})
    events = list(runner.events)
    assert runner.rc == 0, runner.stdout.read()
    stats = [e["event_data"] for e in events if e["event"] == "playbook_on_stats"]
    return events, stats[-1].get("artifact_data", {})


def check(private):
    return job(private, "debugready.ptrace.check",
               {"debugready_hosts": "web", "debugready_report_files": False, "debugready_trace": TRACE}, "-b")[1]


def attach(node, user):
    """A real `sudo -n strace -p` by `user` against Apache's first worker: (exit code, stderr)."""
    worker = in_node(node, "pgrep -u www-data -o apache2").strip()
    result = subprocess.run(["podman", "exec", node, "timeout", "-s", "INT", "2", "setpriv", "--reuid", user,
                             "--regid", user, "--init-groups", "sudo", "-n", "strace", "-p", worker],
                            capture_output=True, text=True, check=False)
    return result.returncode, result.stderr


def test_check_converge_check_revert_inside_the_execution_environment(fleet):
    # 1. Nothing granted yet: neither node is ready, the plain one also for lack of SYS_PTRACE.
    before = check(fleet)["debugready"]
    assert (before["total"], before["ready"]) == (2, 0)
    assert "the container lacks SYS_PTRACE" in before["hosts"]["debugready-ee-plain"]["not_ready_because"]
    assert attach("debugready-ee-ptrace", "alice")[0] == 1

    # 2. Converge the sudo profile on the node that can trace; the role proves it with a real attach.
    events = job(fleet, "debugready.ptrace.converge",
                 {"debugready_hosts": "debugready-ee-ptrace", "debug_access_profile": "sudo",
                  "debug_access_members": ["alice"], "debug_access_window": "8h"})[0]
    (result,) = [e["event_data"]["res"]["ansible_facts"]["debug_access_result"] for e in events
                 if e["event"] == "runner_on_ok" and "debug_access_result" in
                 e["event_data"].get("res", {}).get("ansible_facts", {})]
    assert (result["verified"], result["verified_by"], result["attached"]) == (True, "probe", True), result
    rc, stderr = attach("debugready-ee-ptrace", "alice")
    assert rc == 124, stderr  # attached until the timeout's SIGINT
    assert attach("debugready-ee-ptrace", "dave")[0] == 1

    # 3. The check agrees: alice may trace Apache there; the plain node is unchanged.
    after = check(fleet)["debugready"]
    ready = after["hosts"]["debugready-ee-ptrace"]
    assert ready["ready"] is True, ready
    assert ready["trace_verdicts"][0].startswith("alice may trace"), ready
    assert after["not_ready"] == ["debugready-ee-plain"]

    # 4. Revert in the EE: back to no grant, and the real attach is refused again.
    job(fleet, "debugready.ptrace.revert", {"debugready_hosts": "debugready-ee-ptrace"})
    rc, stderr = attach("debugready-ee-ptrace", "alice")
    assert rc == 1 and "password is required" in stderr, stderr
    assert check(fleet)["debugready"]["ready"] == 0


def test_the_ee_carries_the_collection_and_the_pinned_core():
    requirements = os.path.join(os.path.dirname(__file__), "..", "requirements.txt")
    with open(requirements) as handle:
        (core,) = [line.split("==")[1].strip() for line in handle if line.startswith("ansible-core==")]
    out = podman("run", "--rm", EE, "sh", "-c", "ansible --version; ansible-galaxy collection list debugready.ptrace")
    assert out.splitlines()[0].startswith("ansible [core %s]" % core), out
    assert any(line.split()[:1] == ["debugready.ptrace"] for line in out.splitlines()), out


def test_ansible_navigator_runs_the_check_in_the_ee(fleet, tmp_path):
    # ansible-navigator with --eei, as developers run an EE locally: the same summary in the saved artifact.
    # navigator mounts the inventory's directory at the same path: the key goes beside the inventory
    key = tmp_path / "id_ed25519"
    key.write_bytes((fleet / "env" / "ssh_key").read_bytes())
    os.chmod(str(key), 0o600)
    inventory = tmp_path / "hosts"
    inventory.write_text((fleet / "inventory" / "hosts").read_text() + "ansible_ssh_private_key_file=%s\n" % key)
    artifact = tmp_path / "check-artifact.json"
    result = subprocess.run(
        ["ansible-navigator", "run", "debugready.ptrace.check", "-i", str(inventory), "--mode", "stdout",
         "--ee", "true", "--eei", EE, "--ce", "podman", "--pull-policy", "never",
         "--container-options=--user=0", "--pae", "true", "--pas", str(artifact),
         "--lf", str(tmp_path / "navigator.log"),
         "-e", "debugready_hosts=web", "-e", "debugready_report_files=false", "-b"],
        capture_output=True, text=True, cwd=str(tmp_path), check=False,
        env=dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False",
                 ANSIBLE_COLLECTIONS_PATH="/usr/share/ansible/collections"))
    assert result.returncode == 0, result.stdout + result.stderr
    with open(str(artifact)) as handle:
        plays = json.load(handle)["plays"]
    facts = dict((task["host"], task["res"]["ansible_facts"]["ptrace"]) for play in plays for task in play["tasks"]
                 if task["task_action"] == "debugready.ptrace.ptrace_facts")
    # what each container really has, as the facts gathered inside the EE over SSH say
    assert facts["debugready-ee-ptrace"]["container"]["sys_ptrace_in_bounding_set"] is True
    assert facts["debugready-ee-plain"]["container"]["sys_ptrace_in_bounding_set"] is False
    assert "host(s) debug-ready." in result.stdout
