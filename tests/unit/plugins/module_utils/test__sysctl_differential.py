# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sysctl.d resolver (_sysctl.resolve) against the real appliers, on generated trees.

Each example writes a tree of sysctl.d files (four directories and /etc/sysctl.conf: same names across
directories, /dev/null masks, symlinks between the directories, '-' lines, comments, both key forms, globs,
files that are not *.conf), asks the model which value wins for each applier, and asks the real ones:

- systemd-sysctl, run in a private mount namespace where the tree is bind-mounted over the real directories
  (`unshare -m`, so the host's own files are never seen or touched), with debug logging; the last
  "Setting '/proc/sys/KEY' to 'VALUE'" line is its answer. The key does not exist in /proc/sys, so the write
  it then attempts fails with ENOENT: nothing is ever written.
- procps `sysctl --dry-run --system` in the same namespace, on an existing key (procps prints nothing for a
  key that does not exist, or that it cannot write); its last "KEY = VALUE" line is its answer. --dry-run
  must come first: procps 4.0.2 applies --system as soon as it parses it, writing for real, when --dry-run
  comes after it (measured, docs/verified-semantics.md section 10). The live value is checked unchanged
  after every run.

Root only (mount namespaces); every other machine skips it, which scripts/test's unit phase is not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.debugready.ptrace.plugins.module_utils import _sysctl

SYSTEMD_SYSCTL = next((p for p in _sysctl.SYSTEMD_SYSCTL_BINARIES if os.path.exists(p)), None)
SYSCTL = shutil.which("sysctl") or "/usr/sbin/sysctl"
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or SYSTEMD_SYSCTL is None or not os.path.exists(SYSCTL) or shutil.which("unshare") is None,
    reason="needs root, systemd-sysctl, procps sysctl and unshare")

# The key each applier is asked about: one that does not exist for systemd-sysctl (it really writes), an existing
# writable one for procps (which skips keys it cannot write, and is asked with --dry-run).
KEYS = {"systemd_sysctl": "kernel.debugready_differential", "sysctl_system": "kernel.perf_event_paranoid"}
DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")
NAMES = ("10-a.conf", "50-b.conf", "60-c.conf", "99-sysctl.conf", "zz-d.conf", "50-b.conf.disabled", "README")
VALUES = ("0", "1", "2")

# In the namespace: /run and /usr/local/lib are tmpfs (they may hold nothing of ours on the host, or not exist),
# then every directory of the tree and its sysctl.conf are bind-mounted over the real ones.
NAMESPACE_SCRIPT = """set -e
mount -t tmpfs none /run
mount -t tmpfs none /usr/local/lib
mkdir -p /run/sysctl.d /usr/local/lib/sysctl.d
for d in etc/sysctl.d run/sysctl.d usr/local/lib/sysctl.d usr/lib/sysctl.d; do mount --bind "$1/$d" "/$d"; done
mount --bind "$1/etc/sysctl.conf" /etc/sysctl.conf
shift
echo "%s" >&2
exec "$@"
"""


READY = "debugready: namespace ready"
NAMESPACE_SCRIPT = NAMESPACE_SCRIPT % READY


def line_text(kind, key, value):
    slash = key.replace(".", "/")
    glob = key[:-3] + "*"
    return {
        "plain": "%s = %s" % (key, value),
        "tight": "%s=%s" % (key, value),
        "dash": "-%s = %s" % (key, value),
        "slash": "  %s = %s  " % (slash, value),
        "glob": "%s = %s" % (glob, value),
        "hash": "# %s = %s" % (key, value),
        "semicolon": "; %s = %s" % (key, value),
        "other": "vm.debugready_other = %s" % value,
        "blank": "",
    }[kind]


LINES = st.lists(st.tuples(st.sampled_from(["plain", "plain", "tight", "dash", "slash", "glob", "hash", "semicolon",
                                            "other", "blank"]),
                           st.sampled_from(VALUES)), max_size=4)
ENTRY = st.one_of(
    st.tuples(st.just("file"), LINES),
    st.tuples(st.just("dev_null"), st.just(None)),
    st.tuples(st.just("link"), st.tuples(st.sampled_from(DIRS), st.sampled_from(NAMES))),
)
TREES = st.fixed_dictionaries({
    "files": st.dictionaries(st.tuples(st.sampled_from(DIRS), st.sampled_from(NAMES)), ENTRY, max_size=7),
    "sysctl_conf": LINES,
})


def build(tree, key, base):
    """Write `tree` under `base` with `key`; /lib is usr/lib, as on a merged-/usr host."""
    for directory in DIRS:
        os.makedirs(base + directory)
    os.symlink("usr/lib", base + "/lib")
    with open(base + "/etc/sysctl.conf", "w") as handle:
        handle.write("".join(line_text(k, key, v) + "\n" for k, v in tree["sysctl_conf"]))
    for (directory, name), (kind, data) in sorted(tree["files"].items()):
        path = base + directory + "/" + name
        if kind == "file":
            with open(path, "w") as handle:
                handle.write("".join(line_text(k, key, v) + "\n" for k, v in data))
        elif kind == "dev_null":
            os.symlink("/dev/null", path)
        else:  # relative, so it points into the tree in the model and in the namespace alike
            os.symlink(os.path.relpath(data[0] + "/" + data[1], directory), path)


def in_namespace(base, argv, env=None):
    """The tool's run in the namespace; its exit status is not checked (systemd-sysctl exits 1 after a file it
    could not open, which it skips, e.g. a symlink loop), but the namespace must have been set up."""
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT, "sh", base]
                          + argv, capture_output=True, text=True, timeout=30, env=env, check=False)
    assert READY in done.stderr, done.stderr
    return done


def systemd_answer(base):
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="debug", SYSTEMD_LOG_COLOR="0", LC_ALL="C")
    done = in_namespace(base, [SYSTEMD_SYSCTL, "--prefix=" + KEYS["systemd_sysctl"]], env)
    settings_ = re.findall(r"^Setting '/proc/sys/%s' to '(.*)'$" % re.escape(KEYS["systemd_sysctl"].replace(
        ".", "/")), done.stderr + done.stdout, re.MULTILINE)
    return (settings_[-1] if settings_ else None), done


def procps_answer(base):
    runtime = "/proc/sys/" + KEYS["sysctl_system"].replace(".", "/")
    with open(runtime) as handle:
        before = handle.read()
    done = in_namespace(base, [SYSCTL, "--dry-run", "--system"], dict(os.environ, LC_ALL="C"))
    with open(runtime) as handle:
        after = handle.read()
    if after != before:  # put it back first, then fail: a dry run wrote
        with open(runtime, "w") as handle:
            handle.write(before)
    assert after == before, "sysctl --dry-run --system wrote %s" % KEYS["sysctl_system"]
    values = re.findall(r"^%s = (.*)$" % re.escape(KEYS["sysctl_system"]), done.stdout, re.MULTILINE)
    return (values[-1] if values else None), done


def model_answer(base, applier):
    return _sysctl.resolve(KEYS[applier], base, applier).value


def compare(tree):
    """[(applier, model, real, tool output)] of the appliers that disagree with the model on `tree`."""
    wrong = []
    for applier, ask in (("systemd_sysctl", systemd_answer), ("sysctl_system", procps_answer)):
        base = tempfile.mkdtemp(prefix="debugready-sysctl-")
        try:
            build(tree, KEYS[applier], base)
            real, done = ask(base)
            model = model_answer(base, applier)
        finally:
            shutil.rmtree(base)
        if model != real:
            wrong.append((applier, model, real, done.stdout + done.stderr))
    return wrong


# Hand-picked trees: each applier's rules one at a time.
CASES = {
    "later directory masked by the same name": {
        "files": {("/etc/sysctl.d", "50-b.conf"): ("file", [("plain", "1")]),
                  ("/usr/lib/sysctl.d", "50-b.conf"): ("file", [("plain", "2")])},
        "sysctl_conf": []},
    "name order across directories": {
        "files": {("/usr/lib/sysctl.d", "zz-d.conf"): ("file", [("plain", "2")]),
                  ("/etc/sysctl.d", "10-a.conf"): ("file", [("plain", "1")])},
        "sysctl_conf": []},
    "/dev/null masks the vendor file": {
        "files": {("/etc/sysctl.d", "50-b.conf"): ("dev_null", None),
                  ("/usr/lib/sysctl.d", "50-b.conf"): ("file", [("plain", "2")])},
        "sysctl_conf": []},
    "sysctl.conf through 99-sysctl.conf, and last for procps": {
        "files": {("/etc/sysctl.d", "99-sysctl.conf"): ("link", ("/etc/sysctl.d", "../sysctl.conf")),
                  ("/etc/sysctl.d", "zz-d.conf"): ("file", [("plain", "2")])},
        "sysctl_conf": [("plain", "1")]},
    "comments, dash, slash form and a glob": {
        "files": {("/run/sysctl.d", "60-c.conf"): ("file", [("hash", "0"), ("dash", "1"), ("slash", "2")]),
                  ("/usr/local/lib/sysctl.d", "zz-d.conf"): ("file", [("glob", "0"), ("semicolon", "1")])},
        "sysctl_conf": []},
    "not *.conf is not read": {
        "files": {("/etc/sysctl.d", "50-b.conf.disabled"): ("file", [("plain", "2")]),
                  ("/etc/sysctl.d", "README"): ("file", [("plain", "1")])},
        "sysctl_conf": []},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_picked_trees(name):
    tree = dict(CASES[name])
    files = {}
    for place, (kind, data) in tree["files"].items():
        if kind == "link" and data[1].startswith(".."):  # the shipped 99-sysctl.conf -> ../sysctl.conf
            kind, data = "link", ("/etc", "sysctl.conf")
        files[place] = (kind, data)
    assert compare(dict(tree, files=files)) == []


@settings(max_examples=int(os.environ.get("DEBUGREADY_SYSCTL_EXAMPLES", "60")), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(tree=TREES)
def test_generated_trees(tree):
    assert compare(tree) == []
