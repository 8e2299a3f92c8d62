# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""POSIX access ACLs, read natively: the system.posix_acl_access codec and the kernel's permission check.

The xattr (include/uapi/linux/posix_acl_xattr.h) is a little-endian u32 version (2) followed
by 8-byte entries: u16 tag, u16 permission bits (r=4, w=2, x=1), u32 id (unused for the
owner, owning group, mask and other entries). The kernel keeps the owner, owning-group-or-mask
and other entries in step with the mode bits, and stores no xattr for an ACL that only
restates the mode.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from typing import NamedTuple

XATTR_ACCESS = "system.posix_acl_access"
VERSION = 2
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
UNDEFINED_ID = 0xFFFFFFFF
READ, WRITE, EXECUTE = 4, 2, 1
_TAGS = {USER_OBJ: "user", USER: "user", GROUP_OBJ: "group", GROUP: "group", MASK: "mask", OTHER: "other"}
_NAMED = (USER, GROUP)


class AclFormatError(Exception):
    """An xattr value that is not a POSIX ACL."""


class Entry(NamedTuple):
    """One ACL entry: tag (ACL_USER_OBJ...), permission bits, and the uid or gid of a named entry."""

    tag: int
    perm: int
    id: int = UNDEFINED_ID

    def __repr__(self):
        return "Entry(%s)" % to_text([self])


def decode(blob):
    """A list of Entry from a system.posix_acl_access value."""
    if not isinstance(blob, (bytes, bytearray)) or len(blob) < 4 or (len(blob) - 4) % 8:
        raise AclFormatError("a POSIX ACL xattr is 4 bytes plus 8 per entry, got %s bytes" % (
            len(blob) if isinstance(blob, (bytes, bytearray)) else "no"))
    version = struct.unpack_from("<I", blob)[0]
    if version != VERSION:
        raise AclFormatError("unknown POSIX ACL xattr version %d" % version)
    entries = []
    for offset in range(4, len(blob), 8):
        tag, perm, ident = struct.unpack_from("<HHI", blob, offset)
        if tag not in _TAGS or perm & ~7:
            raise AclFormatError("POSIX ACL entry with tag 0x%x and permissions 0x%x is not valid" % (tag, perm))
        entries.append(Entry(tag, perm, ident if tag in _NAMED else UNDEFINED_ID))
    return entries


def encode(entries):
    return struct.pack("<I", VERSION) + b"".join(struct.pack("<HHI", e.tag, e.perm, e.id) for e in entries)


def read_access(path):
    """The access ACL of a path or descriptor, or None when it has none (or the filesystem has no ACLs)."""
    try:
        blob = os.getxattr(path, XATTR_ACCESS, follow_symlinks=False) if not isinstance(path, int) \
            else os.getxattr(path, XATTR_ACCESS)
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            return None
        raise
    return decode(blob)


def _rwx(perm):
    return "".join(letter if perm & bit else "-" for letter, bit in (("r", READ), ("w", WRITE), ("x", EXECUTE)))


def to_text(entries):
    """getfacl-like short text with numeric ids: 'user::rwx,user:1001:r-x,group::r-x,mask::r-x,other::---'."""
    return ",".join("%s:%s:%s" % (_TAGS[e.tag], e.id if e.tag in _NAMED else "", _rwx(e.perm)) for e in entries or [])


def _mask(entries):
    for entry in entries:
        if entry.tag == MASK:
            return entry.perm
    return 7


def allows(mode, owner, group, entries, uid, gids, want):
    """Whether uid (with groups `gids`) has the `want` bits, as the kernel decides for a non-root caller.

    fs/posix_acl.c:posix_acl_permission() with an ACL, the mode's owner/group/other class without.
    """
    gids = set(gids)
    if not entries:
        if uid == owner:
            bits = mode >> 6
        elif group in gids:
            bits = mode >> 3
        else:
            bits = mode
        return bits & want == want
    mask = _mask(entries)
    group_matched = False
    for entry in entries:
        if entry.tag == USER_OBJ and uid == owner:
            return entry.perm & want == want
        if entry.tag == USER and entry.id == uid:
            return entry.perm & mask & want == want
        if entry.tag in (GROUP_OBJ, GROUP) and (group if entry.tag == GROUP_OBJ else entry.id) in gids:
            group_matched = True
            if entry.perm & want == want:
                return entry.perm & mask & want == want
    if group_matched:
        return False
    other = [e.perm for e in entries if e.tag == OTHER]
    return (other[0] if other else stat.S_IMODE(mode)) & want == want


def others_with(mode, entries, want):
    """Who beyond the owner and the owning group has the `want` bits: ['others'], ['user:1001'], ...

    With an ACL the named entries count (through the mask); the owning group's class is reported as
    'group' when its bits include `want`, so callers can refuse group write too.
    """
    who = []
    if not entries:
        if mode >> 3 & want == want:
            who.append("group")
        if mode & want == want:
            who.append("others")
        return who
    mask = _mask(entries)
    for entry in entries:
        if entry.tag == GROUP_OBJ and entry.perm & mask & want == want:
            who.append("group")
        elif entry.tag in _NAMED and entry.perm & mask & want == want:
            who.append("%s:%d" % (_TAGS[entry.tag], entry.id))
        elif entry.tag == OTHER and entry.perm & want == want:
            who.append("others")
    return who


def is_extended(entries):
    """An ACL that grants more than the mode shows (named entries or a mask)."""
    return any(entry.tag in _NAMED + (MASK,) for entry in entries or [])
