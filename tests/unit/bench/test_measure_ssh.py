# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench/measure.py's SSH mode without containers: what each variant sets, the inventory as Ansible reads it,
and the checks that fail the bench run."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def measure():
    spec = importlib.util.spec_from_file_location("bench_measure", os.path.join(REPO, "bench", "measure.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_variant_sets_pipelining_and_controlpersist_as_named(measure):
    for name, (pipelining, persist) in measure.SSH_VARIANTS.items():
        env = measure.ssh_variant_env(name, "/tmp/cp")
        assert env["ANSIBLE_PIPELINING"] == ("True" if pipelining else "False"), name
        assert env["ANSIBLE_HOST_KEY_CHECKING"] == "False"
        args = env["ANSIBLE_SSH_ARGS"].lower()
        # Ansible's ssh plugin adds its own ControlPath as soon as 'controlpersist' appears in the arguments
        assert ("controlpersist" in args) is persist, name
        assert ("controlmaster=no" in args and "controlpath=none" in args) is (not persist), name
        assert (env.get("ANSIBLE_SSH_CONTROL_PATH_DIR") == "/tmp/cp") is persist, name
    assert sorted(measure.SSH_VARIANTS.values()) == [(False, False), (False, True), (True, False), (True, True)]


def test_the_inventory_reaches_deploy_with_sudo_as_ansible_reads_it(measure, tmp_path):
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.parsing.convert_bool import boolean
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    hosts = [("drbench-ssh-001", "10.88.0.5"), ("drbench-ssh-002", "10.88.0.6")]
    path = measure.write_ssh_inventory(str(tmp_path / "inv.ini"), hosts, True, "/k/id")
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[path])
    assert [h.name for h in inventory.get_hosts("bench")] == ["drbench-ssh-001", "drbench-ssh-002"]
    hostvars = VariableManager(loader=loader, inventory=inventory).get_vars(host=inventory.get_host("drbench-ssh-002"))
    assert hostvars["ansible_host"] == "10.88.0.6"
    assert (hostvars["ansible_connection"], hostvars["ansible_user"]) == ("ansible.builtin.ssh", "deploy")
    # [group:vars] values of an INI inventory stay strings; become reads them as booleans
    assert boolean(hostvars["ansible_become"]) is True and hostvars["ansible_become_method"] == "ansible.builtin.sudo"
    assert hostvars["ansible_ssh_private_key_file"] == "/k/id"
    assert hostvars["ansible_ssh_common_args"].split() == [
        "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"]
    assert hostvars["ansible_python_interpreter"] == measure.WRAPPER


def report(tmp_path, rows):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"hosts": rows, "ready": sum(r["ready"] for r in rows), "total": len(rows)}))
    return str(path)


def test_the_check_must_succeed_with_every_host_ready(measure, tmp_path):
    ok = {"rc": 0, "log": "/logs/x.log"}
    hosts = ["a", "b"]
    good = report(tmp_path, [{"host": "a", "ready": True}, {"host": "b", "ready": True}])
    measure.verify_check(ok, good, hosts)
    with pytest.raises(measure.BenchFailure, match="exited 2"):
        measure.verify_check({"rc": 2, "log": "/logs/x.log"}, good, hosts)
    with pytest.raises(measure.BenchFailure, match="reported hosts"):
        measure.verify_check(ok, report(tmp_path, [{"host": "a", "ready": True}]), hosts)
    with pytest.raises(measure.BenchFailure, match=r"b not ready: \['no user or group but root may trace'\]"):
        measure.verify_check(ok, report(tmp_path, [
            {"host": "a", "ready": True},
            {"host": "b", "ready": False, "not_ready_because": ["no user or group but root may trace"]}]), hosts)
    with pytest.raises(measure.BenchFailure, match="no readable report"):
        measure.verify_check(ok, str(tmp_path / "missing.json"), hosts)


def test_a_variant_that_did_not_run_as_labelled_fails_the_bench(measure):
    piped = {"remote_modules": {"other": 2}, "log": "l"}
    files = {"remote_modules": {"ptrace_facts": 2}, "log": "l"}
    measure.verify_pipelining(piped, True)
    measure.verify_pipelining(files, False)
    with pytest.raises(measure.BenchFailure, match="pipelining on"):
        measure.verify_pipelining(files, True)
    with pytest.raises(measure.BenchFailure, match="pipelining off"):
        measure.verify_pipelining(piped, False)
    measure.verify_pipelining({"log": "l"}, True)  # --no-count: nothing to check


def test_controlpersist_must_leave_at_most_one_master_per_host_and_none_without(measure):
    measure.verify_masters({"ssh_masters": 2, "log": "l"}, True, ["a", "b"])
    # a run longer than ControlPersist=60s: the first host's master has exited
    measure.verify_masters({"ssh_masters": 1, "log": "l"}, True, ["a", "b"])
    with pytest.raises(measure.BenchFailure):
        measure.verify_masters({"ssh_masters": 3, "log": "l"}, True, ["a", "b"])
    measure.verify_masters({"ssh_masters": 0, "log": "l"}, False, ["a", "b"])
    with pytest.raises(measure.BenchFailure, match="ControlPersist on, yet the run left 0"):
        measure.verify_masters({"ssh_masters": 0, "log": "l"}, True, ["a", "b"])
    with pytest.raises(measure.BenchFailure, match="ControlPersist off, yet the run left 2"):
        measure.verify_masters({"ssh_masters": 2, "log": "l"}, False, ["a", "b"])


def test_ssh_mode_options(measure):
    args = measure.parse_args(["--out", "x.json", "--only", "fleet", "--connection", "ssh"])
    assert args.sizes == [1, 10, 25, 50, 100] and args.ssh_variants == list(measure.SSH_VARIANTS)
    assert measure.parse_args(["--out", "x.json"]).sizes == [1, 10, 25, 50]
    assert measure.parse_args(["--out", "x.json", "--connection", "ssh", "--quick"]).sizes == [1, 2]
    with pytest.raises(SystemExit):
        measure.parse_args(["--out", "x.json", "--connection", "ssh", "--ssh-variants", "pipelining,fast"])


def test_update_of_the_ssh_fleet_keeps_the_podman_fleet(measure):
    meta = {"started_utc": "2026-12-03T23:00:00Z", "duration_s": 60.0, "versions": {"collection_commit": "abc"},
            "machine": {"nproc": 2}, "settings": {"fleet_connection": "ansible.builtin.ssh"}}
    previous = {"meta": {"started_utc": "2026-12-01T00:00:00Z"}, "fleet": {"forks": 10, "sizes": {}},
                "on_target": {"configs": []}}
    out = measure.merged(previous, {"meta": meta, "fleet_ssh": {"forks": 10}}, "0.1", "0.2")
    assert out["fleet"] == previous["fleet"] and out["on_target"] == previous["on_target"]
    assert out["fleet_ssh"] == {"forks": 10}
    assert list(out["meta"]["remeasured"]) == ["fleet_ssh"]
    assert out["meta"]["remeasured"]["fleet_ssh"]["collection_commit"] == "abc"
