# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Linux capabilities: names, /proc masks, and the security.capability xattr codec.

The one place that knows the on-disk format (include/uapi/linux/capability.h):
all fields are little-endian u32; revision 1 is 12 bytes, 2 is 20, 3 is 24
(revision 2 plus the namespace root uid). Pure functions, plus two thin readers.
"""

from __future__ import annotations

import errno
import os
import struct

XATTR_NAME = "security.capability"

# Index = capability number (include/uapi/linux/capability.h).
CAP_NAMES = (
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner",
    "cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
    "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
    "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
    "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
    "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
    "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
    "cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
    "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
    "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
    "cap_checkpoint_restore",
)
CAP_NUMBERS = dict((name, number) for number, name in enumerate(CAP_NAMES))
CAP_SYS_PTRACE = CAP_NUMBERS["cap_sys_ptrace"]

# Whoever runs a file holding one of these can make themselves root, by the capability's documented
# purpose and with the system's default settings:
#   chown, dac_override, fowner: take over or rewrite /etc/shadow, /etc/sudoers, any root-owned file;
#   dac_read_search: read /etc/shadow and root's keys (and open_by_handle_at reaches any inode);
#   setuid, setgid: become uid or gid 0;  setfcap: give any file full file capabilities;
#   sys_admin, sys_module, sys_rawio, sys_boot (kexec), bpf, perfmon: kernel code or kernel memory;
#   sys_ptrace: inject code into root's processes;  mknod: a raw disk or /dev/mem device node of one's own.
# Left out, as they need a second weakness to reach root: fsetid (only keeps setuid bits on a file the
# caller can already write), setpcap (needs a file with inheritable capabilities), sys_chroot (needs a
# hard link to a setuid binary, refused by fs.protected_hardlinks=1), net_admin, kill, ipc_owner and the
# mac_* ones (powerful, but they do not bypass file permissions or give uid 0 by themselves).
ROOT_EQUIVALENT = frozenset(CAP_NUMBERS["cap_" + name] for name in (
    "chown", "dac_override", "dac_read_search", "fowner", "setgid", "setuid", "setfcap", "sys_admin",
    "sys_module", "sys_rawio", "sys_boot", "bpf", "perfmon", "sys_ptrace", "mknod"))
ROOT_EQUIVALENT_MASK = sum(1 << number for number in ROOT_EQUIVALENT)

REVISION_MASK = 0xFF000000
FLAG_EFFECTIVE = 0x000001
_SIZES = {1: 12, 2: 20, 3: 24}
_MAGIC = {1: 0x01000000, 2: 0x02000000, 3: 0x03000000}


class CapsError(Exception):
    """Base class of this module's errors."""


class CapsFormatError(CapsError):
    """An xattr blob that no kernel revision describes."""


class UnknownCapabilityError(CapsError):
    """A capability name that Linux does not define."""


class FileCaps(object):
    """Decoded file capabilities. Masks are ints, bit N = capability N."""

    __slots__ = ("permitted", "inheritable", "effective", "revision", "rootid")

    def __init__(self, permitted=0, inheritable=0, effective=False, revision=2, rootid=None):
        self.permitted = permitted
        self.inheritable = inheritable
        self.effective = bool(effective)
        self.revision = revision
        self.rootid = rootid

    def __eq__(self, other):
        if not isinstance(other, FileCaps):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "FileCaps(%r, rev=%d)" % (to_text(self), self.revision)

    def _key(self):
        return (self.permitted, self.inheritable, self.effective, self.revision, self.rootid)

    def same_capabilities(self, other):
        """Equal as the kernel applies them at exec, whatever the revision."""
        return (self.permitted, self.inheritable, self.effective) == (
            other.permitted, other.inheritable, other.effective)

    def has(self, number):
        return bool(self.permitted >> number & 1)

    @property
    def applies(self):
        """Whether the kernel uses these capabilities for processes of the reader's user namespace.

        getxattr returns a revision-3 xattr whose root id is the reader's namespace root (or an
        ancestor's) as revision 2; a revision 3 that still carries a non-zero root id belongs to
        another namespace, and exec in this one ignores it (security/commoncap.c).
        """
        return self.revision != 3 or not self.rootid

    def root_equivalent(self):
        """Names of the root-equivalent capabilities the file grants (permitted or inheritable)."""
        return mask_to_names((self.permitted | self.inheritable) & ROOT_EQUIVALENT_MASK)


def decode(blob):
    """Decode a security.capability xattr value into FileCaps."""
    if not isinstance(blob, (bytes, bytearray)) or len(blob) < 4:
        raise CapsFormatError("capability xattr is %s bytes long, too short for a header" % (
            len(blob) if isinstance(blob, (bytes, bytearray)) else "not"))
    magic = struct.unpack_from("<I", blob)[0]
    revision = (magic & REVISION_MASK) >> 24
    if revision not in _SIZES:
        raise CapsFormatError("unknown capability xattr revision 0x%08x" % (magic & REVISION_MASK))
    if len(blob) != _SIZES[revision]:
        raise CapsFormatError("capability xattr revision %d must be %d bytes, got %d" % (
            revision, _SIZES[revision], len(blob)))
    if magic & ~(REVISION_MASK | FLAG_EFFECTIVE):
        raise CapsFormatError("capability xattr header 0x%08x has unknown flag bits" % magic)
    effective = bool(magic & FLAG_EFFECTIVE)
    if revision == 1:
        permitted, inheritable = struct.unpack_from("<2I", blob, 4)
        return FileCaps(permitted, inheritable, effective, 1)
    perm_lo, inh_lo, perm_hi, inh_hi = struct.unpack_from("<4I", blob, 4)
    rootid = struct.unpack_from("<I", blob, 20)[0] if revision == 3 else None
    return FileCaps(perm_lo | perm_hi << 32, inh_lo | inh_hi << 32, effective, revision, rootid)


def encode(caps):
    """Encode FileCaps into the xattr value of its revision."""
    revision = caps.revision
    if revision not in _SIZES:
        raise CapsFormatError("cannot encode capability xattr revision %r" % (revision,))
    limit = 32 if revision == 1 else 64
    if caps.permitted >> limit or caps.inheritable >> limit or caps.permitted < 0 or caps.inheritable < 0:
        raise CapsFormatError("capability masks do not fit revision %d" % revision)
    magic = _MAGIC[revision] | (FLAG_EFFECTIVE if caps.effective else 0)
    if revision == 1:
        return struct.pack("<3I", magic, caps.permitted, caps.inheritable)
    body = struct.pack("<5I", magic, caps.permitted & 0xFFFFFFFF, caps.inheritable & 0xFFFFFFFF,
                       caps.permitted >> 32, caps.inheritable >> 32)
    if revision == 3:
        body += struct.pack("<I", caps.rootid or 0)
    return body


def cap_name(number):
    return CAP_NAMES[number] if number < len(CAP_NAMES) else "cap_%d" % number


def mask_to_names(mask):
    """Capability names in a mask, in capability-number order."""
    return [cap_name(n) for n in range(mask.bit_length()) if mask >> n & 1]


def names_to_mask(names):
    """Mask from names written with or without the cap_ prefix, in any case."""
    mask = 0
    for raw in names:
        name = str(raw).strip().lower()
        if not name.startswith("cap_"):
            name = "cap_" + name
        if name not in CAP_NUMBERS:
            raise UnknownCapabilityError("unknown capability %r" % (raw,))
        mask |= 1 << CAP_NUMBERS[name]
    return mask


def parse_proc_mask(text):
    """A /proc/PID/status CapXxx value (16 hex digits) as an int."""
    return int(text.strip(), 16)


def to_text(caps):
    """getcap-style text: caps grouped by their flags, e.g. 'cap_net_raw,cap_sys_ptrace=ep'.

    Flags are written in the order e, i, p as libcap does. An empty set gives ''.
    """
    groups = []  # (flags, [names]) in order of the first capability of each group
    index = {}
    top = max(caps.permitted.bit_length(), caps.inheritable.bit_length())
    for number in range(top):
        in_p = caps.permitted >> number & 1
        in_i = caps.inheritable >> number & 1
        if not (in_p or in_i):
            continue
        # libcap marks every capability of a file with fE set as effective.
        flags = ("e" if caps.effective else "") + ("i" if in_i else "") + ("p" if in_p else "")
        if flags not in index:
            index[flags] = len(groups)
            groups.append((flags, []))
        groups[index[flags]][1].append(cap_name(number))
    text = " ".join("%s=%s" % (",".join(names), flags) for flags, names in groups)
    if text and caps.revision == 3 and caps.rootid:
        text += " [rootid=%d]" % caps.rootid
    return text


def read_file_caps(path):
    """FileCaps of a file, or None when it carries none.

    Raises OSError for anything but "no such attribute"/"not supported",
    and CapsFormatError for a blob that cannot be decoded.
    """
    try:
        blob = os.getxattr(path, XATTR_NAME)
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            return None
        raise
    return decode(blob)


def read_status_caps(status):
    """Cap sets from a parsed /proc/PID/status mapping, as ints (missing -> None)."""
    result = {}
    for field, key in (("CapInh", "inheritable"), ("CapPrm", "permitted"), ("CapEff", "effective"),
                       ("CapBnd", "bounding"), ("CapAmb", "ambient")):
        value = status.get(field)
        result[key] = parse_proc_mask(value) if value else None
    return result
