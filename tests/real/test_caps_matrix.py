# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""File capabilities: what the collection predicts against what a non-root user really gets from the kernel.

Every cell is a copy of /usr/bin/cat made by file_caps (or carrying a raw xattr written here), on a
plain, a nosuid or a noexec mount, with or without an access ACL letting an outsider run it, for a
capability inside (cap_sys_ptrace) or outside (cap_sys_admin) the container's bounding set. A group
member and an outsider exec it; the copy prints its own /proc/self/status.

Prediction, from the collection's own readers and rules only: the facts' view of the file
(_caps.read_file_caps, _procs.mount_options, _acl for who may execute it) fed to
_verdict.tracer_caps_for, and file_caps's plan for the "in place" answer and for a mount where nobody
can execute (its "noexec" condition). Reality: the exec errno, or CapPrm/CapEff of the running copy.
"""

from __future__ import annotations

import errno
import grp
import os
import shutil
import struct
import subprocess

import pytest

from ansible_collections.debugready.ptrace.plugins.module_utils import (
    _acl, _caps, _caps_write, _procs, _tools, _verdict,
)

GROUP_NAME, GROUP_GID = "capmatrix", 4400
USERS = {"member": (4401, [4401, GROUP_GID]), "outsider": (4402, [4402])}
MOUNTS = {"plain": "/usr/local/lib/capmatrix", "nosuid": "/mnt/nosuid/capmatrix", "noexec": "/mnt/noexec/capmatrix"}
CAPS = ("sys_ptrace", "sys_admin")  # inside / outside the container's bounding set (tests/real/run)
# (name pattern, flags) as a user may write them to file_caps.
NOTATIONS = [("cap_{}", "ep"), ("{U}", "+ep"), ("{}", "=ep"), ("Cap_{T}", "PE"), ("cap_{}", "p"), ("CAP_{U}", "eip"),
             ("cap_{}", "i"), ("{}", "ei")]
# Raw xattrs written with os.setxattr: (label, revision, rootid).
RAW = [("raw v2", 2, None), ("raw v3 rootid 0", 3, 0), ("raw v3 rootid 1000", 3, 1000)]
SOURCE = "/usr/bin/cat"


def cap_name(pattern, base):
    return pattern.format(base, U=base.upper(), T=base.title())


def raw_blob(revision, bit, rootid):
    if revision == 1:
        return struct.pack("<3I", 0x01000001, 1 << bit, 0)
    words = [revision << 24 | 0x000001, (1 << bit) & 0xFFFFFFFF, 0, (1 << bit) >> 32, 0]
    return struct.pack("<5I", *words) + (struct.pack("<I", rootid) if revision == 3 else b"")


def outsider_acl():
    return _acl.encode([_acl.Entry(_acl.USER_OBJ, 7), _acl.Entry(_acl.USER, 5, USERS["outsider"][0]),
                        _acl.Entry(_acl.GROUP_OBJ, 5), _acl.Entry(_acl.MASK, 5), _acl.Entry(_acl.OTHER, 0)])


def spec(path, capabilities, flags="ep", state="present"):
    return {"path": path, "source": SOURCE, "group": GROUP_NAME, "mode": "0750", "capabilities": capabilities,
            "flags": flags, "state": state}


def outcome_text(result):
    if isinstance(result, str):
        return result
    permitted, effective = result
    return "prm=%s eff=%s" % (",".join(n[4:] for n in _caps.mask_to_names(permitted)) or "-",
                              ",".join(n[4:] for n in _caps.mask_to_names(effective)) or "-")


def real_exec(path, user):
    uid, gids = USERS[user]
    try:
        done = subprocess.run([path, "/proc/self/status"], user=uid, group=gids[0], extra_groups=gids[1:],
                              capture_output=True, timeout=20, check=False)
    except OSError as exc:
        return errno.errorcode[exc.errno]
    assert done.returncode == 0, done.stderr
    status = _procs.parse_status(done.stdout.decode())
    return (_caps.parse_proc_mask(status["CapPrm"]), _caps.parse_proc_mask(status["CapEff"]))


def predicted_exec(path, user, decided, bounding):
    """What the collection says user gets from exec'ing path, or an errno name."""
    if "noexec" in decided.conditions:
        return "EACCES"
    uid, gids = USERS[user]
    st = os.stat(path)
    if not _acl.allows(st.st_mode, st.st_uid, st.st_gid, _acl.read_access(path), uid, gids, _acl.EXECUTE):
        return "EACCES"
    filecaps = _caps.read_file_caps(path)
    nosuid = "nosuid" in (_procs.mount_options(path) or set())
    effective, permitted, exec_fails, _problem = _verdict.tracer_caps_for(
        "filecap", False, 0, bounding, filecaps, nosuid, False, 0)
    return "EPERM" if exec_fails else (permitted, effective)


@pytest.fixture(scope="module")
def matrix():
    try:
        grp.getgrnam(GROUP_NAME)
    except KeyError:
        subprocess.run(["groupadd", "-g", str(GROUP_GID), GROUP_NAME], check=True)
    for directory in MOUNTS.values():
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
    bounding = _caps.read_status_caps(_procs.read_status())["bounding"]
    yield bounding
    for directory in MOUNTS.values():
        shutil.rmtree(directory)


def writers():
    for pattern, flags in NOTATIONS:
        yield "file_caps %s %s" % (pattern.replace("{}", "x").replace("{U}", "X").replace("{T}", "X"), flags), \
            (pattern, flags), None
    for label, revision, rootid in RAW:
        yield label, None, (revision, rootid)


def make_cell(path, base, notation, raw, with_acl):
    """Write the cell's file the way a user would; returns a note when the kernel refuses part of it."""
    if notation is not None:
        params = spec(path, [cap_name(notation[0], base)], notation[1])
        decided = _caps_write.plan(params, _caps_write.read_host(params))
        _caps_write.converge(params, _caps_write.read_host(params), decided)
        assert not _caps_write.plan(params, _caps_write.read_host(params)).changed
    else:
        params = spec(path, [], state="absent")
        _caps_write.converge(params, None, _caps_write.plan(params, _caps_write.read_host(params)))
        os.setxattr(path, _caps.XATTR_NAME, raw_blob(raw[0], _caps.CAP_NUMBERS["cap_" + base], raw[1]))
    if with_acl:
        try:
            os.setxattr(path, _acl.XATTR_ACCESS, outsider_acl())
        except OSError as exc:
            if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
                return "no ACLs on this mount"
            raise


def test_kernel_refuses_a_revision_1_xattr(matrix, figures):
    """The spec's parser accepts 12-byte xattrs; this kernel no longer stores one (cap_convert_nscap)."""
    path = os.path.join(MOUNTS["plain"], "v1")
    shutil.copy(SOURCE, path)
    with pytest.raises(OSError) as info:
        os.setxattr(path, _caps.XATTR_NAME, raw_blob(1, 19, None))
    assert info.value.errno == errno.EINVAL
    assert _caps.decode(raw_blob(1, 19, None)).same_capabilities(_caps.FileCaps(1 << 19, 0, True))
    figures.add("caps v1", "setxattr of a 12-byte revision-1 security.capability: EINVAL on kernel %s"
                % os.uname().release)


def test_matrix(matrix, figures):
    bounding = matrix
    cells, rows, unknown = [], [], []
    reference = {}
    for base in CAPS:
        for label, notation, raw in writers():
            for mount, directory in sorted(MOUNTS.items()):
                for with_acl in (False, True):
                    path = os.path.join(directory, "cat-%s-%d-%s" % (base, len(rows), "acl" if with_acl else "plain"))
                    rows.append(path)
                    note = make_cell(path, base, notation, raw, with_acl)
                    if note:
                        unknown.append("%s %s %s acl: %s" % (base, label, mount, note))
                        continue
                    stored = os.getxattr(path, _caps.XATTR_NAME)
                    desired = spec(path, ["cap_" + base])
                    decided = _caps_write.plan(desired, _caps_write.read_host(desired))
                    outcomes = {}
                    for user in USERS:
                        got = real_exec(path, user)
                        want = predicted_exec(path, user, decided, bounding)
                        outcomes[user] = got
                        cells.append(("exec", base, label, mount, with_acl, user, outcome_text(want),
                                      outcome_text(got), want == got))
                    key = (base, mount)
                    if notation == ("cap_{}", "ep") and not with_acl:
                        reference[key] = outcomes
                    info = _tools.file_info(path)
                    print("%-10s %-26s %-6s acl=%-5s stored=%-2d facts=%-36s plan=%-9s member=%-28s outsider=%s" % (
                        base, label, mount, with_acl, len(stored), info["caps"] or "-",
                        "changed" if decided.changed else "in place", outcome_text(outcomes["member"]),
                        outcome_text(outcomes["outsider"])))
                    if mount == "plain":
                        # "In place" as the kernel shows it: everyone gets what a fresh cap_X=ep copy gives.
                        cells.append(("in place", base, label, mount, with_acl, "-",
                                      str(not decided.changed), None, (key, outcomes, not decided.changed)))
    # The reference cells are known only once the loop passed them: settle the "in place" cells now.
    settled = []
    for cell in cells:
        if cell[0] == "in place":
            key, outcomes, predicted = cell[8]
            real = outcomes == reference[key]
            settled.append(cell[:7] + (str(real), predicted == real))
        else:
            settled.append(cell)
    agree = sum(1 for cell in settled if cell[8])
    exec_cells = [c for c in settled if c[0] == "exec"]
    place_cells = [c for c in settled if c[0] == "in place"]
    figures.add("caps matrix", "%d/%d cells agree (%d/%d exec outcomes, %d/%d 'in place' answers); %d cells "
                "not testable (%s)" % (agree, len(settled), sum(c[8] for c in exec_cells), len(exec_cells),
                                       sum(c[8] for c in place_cells), len(place_cells), len(unknown),
                                       "; ".join(unknown) or "none"))
    disagree = ["%s %s %s %s acl=%s %s: predicted %s, kernel %s" % c[:8] for c in settled if not c[8]]
    assert not disagree, "\n".join(disagree)
