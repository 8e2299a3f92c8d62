# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Desired file capabilities, and a group-restricted tool copy kept in sync with its source.

The arithmetic is on decoded FileCaps (the one codec in _caps), so the result is the same
whatever notation the user wrote ('cap_sys_ptrace', 'SYS_PTRACE', '+ep' or 'ep').
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps, _fileio

STATES = ("present", "absent", "exact")


class CapsInputError(Exception):
    """Bad capability names or flags, or an unsafe request; nothing was changed."""


class CapsWriteError(Exception):
    """The filesystem refused the change."""


def parse_flags(flags):
    """'ep', '+ep', '=eip', 'PE' -> a set of 'e', 'i', 'p'."""
    text = (flags or "").strip().lower().lstrip("+=")
    if not text or set(text) - set("eip"):
        raise CapsInputError("flags must be a combination of e, i and p (e.g. 'ep'), got %r" % (flags,))
    if text == "e":
        raise CapsInputError("flag e alone sets nothing: the effective bit raises permitted (p) or inheritable (i) "
                             "capabilities, so give p or i too (e.g. 'ep')")
    return set(text)


def desired(current, names, flags, state):
    """The FileCaps a file should carry (None: no xattr at all)."""
    if state not in STATES:
        raise CapsInputError("state must be one of %s" % ", ".join(STATES))
    try:
        mask = _caps.names_to_mask(names or [])
    except _caps.UnknownCapabilityError as exc:
        raise CapsInputError("%s (names are those of capabilities(7), with or without the cap_ prefix)" % exc)
    current = current or _caps.FileCaps(0, 0, False, 2)
    if state == "absent":
        if not names:
            return None
        permitted, inheritable = current.permitted & ~mask, current.inheritable & ~mask
        effective = current.effective
    else:
        wanted = parse_flags(flags)
        if not names:
            raise CapsInputError("state=%s needs at least one capability" % state)
        if state == "exact":
            permitted = mask if "p" in wanted else 0
            inheritable = mask if "i" in wanted else 0
            effective = "e" in wanted
        else:
            permitted = current.permitted | (mask if "p" in wanted else 0)
            inheritable = current.inheritable | (mask if "i" in wanted else 0)
            effective = current.effective or "e" in wanted
    if not permitted and not inheritable:
        return None
    return _caps.FileCaps(permitted, inheritable, effective, 2)


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.same_capabilities(b)


def read(path):
    try:
        return _caps.read_file_caps(path)
    except _caps.CapsFormatError:
        return None  # undecodable: treat as absent, the write replaces it
    except OSError as exc:
        raise CapsWriteError("cannot read capabilities of %s: %s" % (path, os.strerror(exc.errno or 0)))


def apply(path, caps):
    """Set (or with None remove) the security.capability xattr of an existing file."""
    try:
        if caps is None:
            try:
                os.removexattr(path, _caps.XATTR_NAME)
            except OSError as exc:
                if exc.errno not in (errno.ENODATA, errno.ENOTSUP):
                    raise
        else:
            os.setxattr(path, _caps.XATTR_NAME, _caps.encode(caps))
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            raise CapsWriteError("the filesystem of %s does not support security extended attributes" % path)
        raise CapsWriteError("cannot set capabilities on %s: %s" % (path, os.strerror(exc.errno or 0)))


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_state(path):
    """{"sha256", "mode", "uid", "gid"} of an existing copy, or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise CapsInputError("%s exists and is not a regular file" % path)
    return {"sha256": sha256(path), "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}


def copy_matches(state, source_hash, mode, uid, gid):
    """Whether an existing copy (copy_state) has the source's content, this mode and this owner."""
    return state is not None and (state["sha256"], state["mode"], state["uid"], state["gid"]) == (
        source_hash, mode, uid, gid)


def write_copy(source, path, mode, uid, gid, caps):
    """Copy source to path atomically with owner, mode and capabilities already on the temp file."""
    xattrs = {_caps.XATTR_NAME: _caps.encode(caps)} if caps is not None else None
    try:
        _fileio.write_atomic(path, None, mode, uid, gid, xattrs=xattrs, source=source)
    except _fileio.FileWriteError as exc:
        raise CapsWriteError(str(exc))
