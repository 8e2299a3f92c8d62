# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real attacker racing the atomic writer.

A non-root user owns a directory and, in a tight loop, replaces every `.debugready-*` temp file
in it by a symlink to a file of their own, while root writes a setuid, capability-carrying file
there again and again. Were owner, mode or xattrs set by path, root would give the attacker's
file root ownership, the mode and cap_sys_ptrace=ep. Afterwards the attacker's file must be
exactly as it was, and the writer must have refused the directory outright (or, with the
check bypassed, noticed every swap before going live).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import time

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps, _fileio

ATTACKER_UID = 4300
ROUNDS = 300
MAX_ROUNDS = 5000
WANTED_SWAPS = 10
CAPS = {_caps.XATTR_NAME: struct.pack("<5I", 0x02000001, 1 << 19, 0, 0, 0)}  # cap_sys_ptrace=ep

# Runs as the attacker with the image's own python (the test venv lives under /root).
ATTACKER = r"""
import os, signal, sys
directory, target = sys.argv[1], sys.argv[2]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
swaps = 0
while not stop:
    try:
        names = os.listdir(directory)
    except OSError:
        continue
    for name in names:
        if not name.startswith(".debugready-"):
            continue
        path = os.path.join(directory, name)
        link = os.path.join(directory, "l" + name)
        try:
            if os.path.islink(path):
                continue
            os.symlink(target, link)
            os.rename(link, path)
            swaps += 1
        except OSError:
            try:
                os.unlink(link)
            except OSError:
                pass
print(swaps, flush=True)
"""


@pytest.fixture
def attacked(tmp_path):
    """(directory, attacker's file, stop()) with the attacker looping until stop() returns its swap count."""
    base = tempfile.mkdtemp(prefix="race-", dir="/var/tmp")
    os.chmod(base, 0o755)  # mkdtemp makes it 0700: the attacker must reach their directory
    directory = os.path.join(base, "attacker-dir")
    os.mkdir(directory)
    os.chown(directory, ATTACKER_UID, ATTACKER_UID)
    os.chmod(directory, 0o755)
    mine = os.path.join(directory, "mine")
    with open(mine, "wb") as handle:
        handle.write(b"attacker's own program\n")
    os.chown(mine, ATTACKER_UID, ATTACKER_UID)
    os.chmod(mine, 0o755)
    process = subprocess.Popen(["/usr/bin/python3", "-c", ATTACKER, directory, mine], user=ATTACKER_UID,
                               group=ATTACKER_UID, extra_groups=[], stdout=subprocess.PIPE, cwd="/")
    time.sleep(0.2)
    assert process.poll() is None, "the attacker did not start"

    def stop():
        process.send_signal(signal.SIGTERM)
        out, _err = process.communicate(timeout=20)
        return int(out.strip() or 0)

    yield directory, mine, stop
    if process.poll() is None:
        process.kill()
        process.wait()
    shutil.rmtree(base)


def assert_untouched(mine):
    st = os.lstat(mine)
    assert stat.S_ISREG(st.st_mode)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (ATTACKER_UID, ATTACKER_UID, 0o755), (
        "the attacker's file became %d:%d %04o" % (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)))
    with pytest.raises(OSError) as info:
        os.getxattr(mine, _caps.XATTR_NAME)
    assert info.value.errno == errno.ENODATA, "the attacker's file gained %r" % os.getxattr(mine, _caps.XATTR_NAME)


def test_a_directory_the_attacker_owns_is_refused(attacked):
    directory, mine, stop = attacked
    outcomes = []
    for _round in range(ROUNDS // 3):
        try:
            _fileio.write_atomic(os.path.join(directory, "tool"), None, 0o4750, 0, 0, xattrs=CAPS,
                                 source="/usr/bin/cat")
            outcomes.append("written")
        except _fileio.UntrustedPathError as exc:
            assert "owned by uid %d, not root" % ATTACKER_UID in str(exc)
            outcomes.append("refused")
    stop()
    assert_untouched(mine)
    assert set(outcomes) == {"refused"}


def test_descriptors_never_follow_a_swapped_temp_file(attacked, figures):
    """With the directory check bypassed, the attacker does swap temp files; nothing reaches their file."""
    directory, mine, stop = attacked
    outcomes = {"written": 0, "swap noticed": 0}
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        rounds = 0
        # Until the attacker has won the race often enough to mean something (bounded).
        while rounds < MAX_ROUNDS and (rounds < ROUNDS or outcomes["swap noticed"] < WANTED_SWAPS):
            rounds += 1
            try:
                _fileio.write_at(dir_fd, directory, "tool", None, 0o4750, 0, 0, xattrs=CAPS, source="/usr/bin/cat")
                outcomes["written"] += 1
            except _fileio.UntrustedPathError as exc:
                assert "was replaced while it was written" in str(exc)
                outcomes["swap noticed"] += 1
    finally:
        os.close(dir_fd)
    swaps = stop()
    assert_untouched(mine)
    figures.add("fileio race", "%d writes against a real attacker: %d swaps by the attacker, %d noticed before the "
                "rename, %d written; attacker's file untouched" % (
                    rounds, swaps, outcomes["swap noticed"], outcomes["written"]))
    assert swaps > 0, "the attacker never won the race: the test proved nothing"
    assert outcomes["swap noticed"] > 0
    live = os.path.join(directory, "tool")
    if outcomes["written"] and not os.path.islink(live):
        st = os.lstat(live)
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o4750)
