# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Desired file capabilities, and a group-restricted tool copy kept in sync with its source.

One decision: `plan(params, read_host(params))` says whether anything changes, why, and what
would be done. The file_caps module (check mode and apply) and the debug_access role's fast
path (_policy.filecap) both call it, so they cannot disagree. `read_host` does all the reading,
`plan` is pure, `converge` acts on a plan.

The arithmetic is on decoded FileCaps (the one codec in _caps), so the result is the same
whatever notation the user wrote ('cap_sys_ptrace', 'SYS_PTRACE', '+ep' or 'ep').
"""

from __future__ import annotations

import errno
import grp
import hashlib
import os
import stat

from ansible_collections.debugready.ptrace.plugins.module_utils import _acl, _caps, _fileio, _paths, _procs

STATES = ("present", "absent", "exact")

# The file_caps module's argument spec, next to the logic that reads it.
OPTIONS = dict(
    path=dict(type="path", required=True),
    capabilities=dict(type="list", elements="str", default=[]),
    flags=dict(type="str", default="ep"),
    state=dict(type="str", choices=list(STATES), default="present"),
    source=dict(type="path"),
    group=dict(type="str", default="root"),
    mode=dict(type="raw", default="0750"),
    allow_world_executable=dict(type="bool", default=False),
)
DEFAULTS = dict((name, spec.get("default")) for name, spec in OPTIONS.items())


def copy_policy_options():
    """The options of a synced capability copy in ptrace_facts' `policy.filecap` (the role's declared copy)."""
    options = dict((name, dict(OPTIONS[name])) for name in ("source", "path", "group", "mode", "capabilities", "flags"))
    options["source"]["required"] = True
    options["capabilities"]["default"] = ["cap_sys_ptrace"]
    return options


_NOT_SUPPORTED = (errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP))


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


def parse_mode(value):
    """_fileio.parse_mode, refused as bad input of this module."""
    try:
        return _fileio.parse_mode(value)
    except _fileio.ModeError as exc:
        raise CapsInputError(str(exc))


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


# ---------------------------------------------------------------- reading the host

class FileState(object):
    """One file as read through one descriptor (never following a symlink at the path itself)."""

    __slots__ = ("kind", "mode", "uid", "gid", "dev", "ino", "caps", "caps_present", "caps_error", "acl",
                 "sha256")

    def __init__(self, kind, mode=0, uid=None, gid=None, dev=None, ino=None, caps=None, caps_present=False,
                 caps_error=None, acl=None, sha256=None):
        self.kind = kind  # "file", "symlink" or "other"
        self.mode, self.uid, self.gid, self.dev, self.ino = mode, uid, gid, dev, ino
        self.caps, self.caps_present, self.caps_error = caps, caps_present, caps_error
        self.acl, self.sha256 = acl, sha256


def read_file(path, content=False):
    """FileState of `path`, or None when nothing is there. Symlinks are reported, not followed."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise CapsWriteError("cannot inspect %s: %s" % (path, os.strerror(exc.errno or 0)))
    if not stat.S_ISREG(st.st_mode):
        return FileState("symlink" if stat.S_ISLNK(st.st_mode) else "other", stat.S_IMODE(st.st_mode),
                         st.st_uid, st.st_gid)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise CapsWriteError("cannot open %s: %s" % (path, os.strerror(exc.errno or 0)))
    try:
        st = os.fstat(fd)
        state = FileState("file" if stat.S_ISREG(st.st_mode) else "other", stat.S_IMODE(st.st_mode), st.st_uid,
                          st.st_gid, st.st_dev, st.st_ino)
        try:
            blob = os.getxattr(fd, _caps.XATTR_NAME)
        except OSError as exc:
            if exc.errno not in (errno.ENODATA,) + _NOT_SUPPORTED:
                raise
        else:
            state.caps_present = True
            try:
                state.caps = _caps.decode(blob)
            except _caps.CapsFormatError as exc:
                state.caps_error = str(exc)
        try:
            state.acl = _acl.read_access(fd)
        except _acl.AclFormatError as exc:
            raise CapsWriteError("cannot read the access ACL of %s: %s" % (path, exc))
        if content:
            state.sha256 = _hash_fd(fd)
    except OSError as exc:
        raise CapsWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))
    finally:
        os.close(fd)
    return state


def _hash_fd(fd):
    digest = hashlib.sha256()
    for chunk in iter(lambda: os.read(fd, 1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _absolute(params):
    params = dict(DEFAULTS, **params)
    for key in ("path", "source"):
        if params[key] is not None and (not os.path.isabs(params[key]) or "\x00" in params[key]):
            raise CapsInputError("path and source must be absolute paths (without NUL bytes), got %r" % params[key])
    return params


def read_host(params, root="/"):
    """Everything plan() needs: the file, the source, the group, mount options and the bounding set."""
    params = _absolute(params)
    path = _paths.host_path(root, params["path"])
    host = {"file": read_file(path, content=params["source"] is not None), "path_real": os.path.realpath(path),
            "source": None, "gid": None, "mount_options": set(), "bounding": None}
    if params["source"] is not None:
        host["source"] = _read_source(_paths.host_path(root, params["source"]))
        try:
            host["gid"] = grp.getgrnam(params["group"]).gr_gid
        except (KeyError, ValueError):  # ValueError: a NUL in the name (no such group either)
            host["gid"] = None
    host["mount_options"] = _procs.mount_options(os.path.dirname(path), root) or set()
    try:
        host["bounding"] = _caps.read_status_caps(_procs.read_status("self", root))["bounding"]
    except (OSError, _procs.ProcessGone):
        host["bounding"] = None
    return host


def _read_source(path):
    try:
        fd, real = _fileio.open_source(path)
    except _fileio.UntrustedPathError as exc:
        raise CapsInputError(str(exc))
    except _fileio.FileWriteError:
        return {"error": "source %s does not exist or is not a regular file" % path}
    try:
        digest = _hash_fd(fd)
        size, read = os.fstat(fd).st_size, os.lseek(fd, 0, os.SEEK_CUR)
        if size != read:
            # A file of /proc or /sys: what is copied would differ from what was planned, and again on every run.
            raise CapsInputError("source %s is not a plain file: it says it holds %d bytes, reading it gave %d (a "
                                 "file of /proc or /sys, or one being written); copy a program file"
                                 % (path, size, read))
        return {"sha256": digest, "real": real}
    except OSError as exc:
        raise CapsWriteError("cannot read source %s: %s" % (path, os.strerror(exc.errno or 0)))
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the one decision

class Plan(object):
    """What converging would do. `changed` and `reasons` are the answer; `actions` is what converge runs."""

    __slots__ = ("changed", "reasons", "before", "after", "actions", "wanted", "mode", "gid", "warnings",
                 "conditions", "blockers")

    def __init__(self):
        self.changed = False
        self.reasons, self.actions, self.warnings, self.blockers = [], [], [], []
        # Why the capabilities will not work as written here: "nosuid", "noexec", "outside_bounding_set".
        self.conditions = []
        self.before, self.after = {}, {}
        self.wanted = self.mode = self.gid = None


def _describe(state, with_content):
    if state is None:
        return {"exists": False}
    info = {"exists": True, "mode": "%04o" % state.mode, "uid": state.uid, "gid": state.gid,
            "caps": _caps.to_text(state.caps) if state.caps else ("undecodable" if state.caps_present else ""),
            "acl": _acl.to_text(state.acl) if _acl.is_extended(state.acl) else ""}
    if with_content:
        info["sha256"] = state.sha256
    return info


def _caps_in_place(state, wanted):
    """The xattr, as the kernel applies it here, is exactly `wanted` (None: no xattr at all)."""
    if state is None or not state.caps_present:
        return wanted is None
    if state.caps is None or not state.caps.applies:
        return False  # undecodable, or a revision 3 of another user namespace: exec ignores it
    return same(state.caps, wanted)


def _guard(path, wanted, mode, acl, allow_world_executable):
    """Refuse a capable file that someone but root can rewrite, or a root-equivalent one outsiders can run."""
    if wanted is None:
        return
    if mode & (stat.S_ISUID | stat.S_ISGID):
        raise CapsInputError(
            "refusing: %s would be setuid or setgid (mode %04o) and hold capabilities; a writable setuid copy keeps "
            "both when rewritten through a shared mapping. Drop the setuid/setgid bits." % (path, mode))
    writers = _acl.others_with(mode, acl, _acl.WRITE)
    if writers:
        raise CapsInputError(
            "refusing: %s would hold capabilities and be writable by %s (mode %04o%s); they could rewrite it through "
            "a shared mapping and keep the capabilities. Use a mode without group or other write, e.g. 0750."
            % (path, ", ".join(writers), mode, ", ACL " + _acl.to_text(acl) if _acl.is_extended(acl) else ""))
    root_equivalent = wanted.root_equivalent()
    runners = [r if r != "others" else "every user" for r in _acl.others_with(mode, acl, _acl.EXECUTE) if r != "group"]
    if root_equivalent and runners and not allow_world_executable:
        raise CapsInputError(
            "refusing: %s would hold %s and be executable by %s (mode %04o%s), who could then take over the host "
            "(root-equivalent). Use a group and mode 0750, or set allow_world_executable: true."
            % (path, ",".join(root_equivalent), ", ".join(runners), mode,
               ", ACL " + _acl.to_text(acl) if _acl.is_extended(acl) else ""))


def plan(params, host):
    """The one decision of the file-capability writer (pure: reads nothing, changes nothing)."""
    params = _absolute(params)
    path, source, state = params["path"], params["source"], params["state"]
    current = host["file"]
    result = Plan()
    if source is None:
        if current is None or current.kind != "file":
            raise CapsInputError("%s %s" % (path, "does not exist or is not a regular file" if current is None
                                            or current.kind == "other" else
                                            "is a symlink; give the file it points to (%s)" % host["path_real"]))
        applied = current.caps if current.caps is not None and current.caps.applies else None
        result.wanted = desired(applied, params["capabilities"], params["flags"], state)
        _guard(path, result.wanted, current.mode, current.acl, params["allow_world_executable"])
        result.before = _describe(current, False)
        result.after = dict(result.before, caps=_caps.to_text(result.wanted) if result.wanted else "")
        if not _caps_in_place(current, result.wanted):
            result.reasons.append(_caps_reason(current, result.wanted))
            result.actions.append("set_caps" if result.wanted is not None else "remove_caps")
    else:
        result.mode = parse_mode(params["mode"])
        result.gid = host["gid"]
        if host["source"].get("real") is not None and host["source"]["real"] == host["path_real"]:
            raise CapsInputError("source and path are the same file")
        # exact ignores what is there; present/absent start from what the kernel applies today.
        applied = current.caps if current is not None and current.caps is not None and current.caps.applies \
            and current.kind == "file" else None
        result.wanted = desired(applied, params["capabilities"], params["flags"], state)
        # The copy's ACL is stripped when it is made, so the mode is all the permission there is.
        _guard(path, result.wanted, result.mode, None, params["allow_world_executable"])
        if "error" in host["source"]:
            result.blockers.append(host["source"]["error"])
        if result.gid is None:
            result.blockers.append("group %r does not exist" % params["group"])
        result.before = _describe(current, True)
        result.after = {"exists": True, "mode": "%04o" % result.mode, "uid": 0, "gid": result.gid,
                        "caps": _caps.to_text(result.wanted) if result.wanted else "", "acl": "",
                        "sha256": host["source"].get("sha256")}
        copy = _copy_reasons(path, params, host, result)
        result.reasons.extend(copy)
        if copy:
            result.actions.append("copy")
        elif not _caps_in_place(current, result.wanted):
            result.reasons.append(_caps_reason(current, result.wanted))
            result.actions.append("set_caps" if result.wanted is not None else "remove_caps")
    result.changed = bool(result.actions)
    found = _warnings(path, result.wanted, host)
    result.conditions = [key for key, _text in found if key != "root_equivalent"]
    result.warnings = [text for _key, text in found]
    return result


def _copy_reasons(path, params, host, result):
    current = host["file"]
    if current is None:
        return ["%s missing" % path]
    if current.kind != "file":
        return ["%s is a %s, not a regular file" % (path, current.kind if current.kind == "symlink" else "special file")]
    reasons = []
    if host["source"].get("sha256") is None or current.sha256 != host["source"]["sha256"]:
        reasons.append("%s differs from %s (content)" % (path, params["source"]))
    if current.uid != 0 or current.gid != result.gid:
        reasons.append("%s owner %d:%d differs from 0:%s" % (path, current.uid, current.gid,
                                                             "?" if result.gid is None else result.gid))
    if current.mode != result.mode:
        reasons.append("%s mode %04o differs from %04o" % (path, current.mode, result.mode))
    if _acl.is_extended(current.acl):
        reasons.append("%s has an access ACL (%s) that the mode does not show" % (path, _acl.to_text(current.acl)))
    return reasons


def _caps_reason(current, wanted):
    wanted_text = _caps.to_text(wanted) if wanted else "none"
    if current is not None and current.caps_present and current.caps is None:
        return "capability xattr cannot be decoded (%s), wanted %s" % (current.caps_error, wanted_text)
    if current is not None and current.caps is not None and not current.caps.applies:
        return "capabilities %s carry root id %d: the kernel ignores them here; wanted %s" % (
            _caps.to_text(current.caps), current.caps.rootid, wanted_text)
    return "capabilities %s, wanted %s" % (_caps.to_text(current.caps) if current and current.caps else "none",
                                           wanted_text)


def _warnings(path, wanted, host):
    if wanted is None:
        return []
    out = []
    options = host["mount_options"]
    if "nosuid" in options:
        out.append(("nosuid", "%s is on a nosuid mount: the kernel ignores file capabilities there." % path))
    if "noexec" in options:
        out.append(("noexec", "%s is on a noexec mount: nobody can execute it there." % path))
    bounding = host.get("bounding")
    if bounding is not None and wanted.effective and wanted.permitted & ~bounding:
        out.append(("outside_bounding_set", "%s is not in this host's bounding set: executing the file fails with "
                    "EPERM here (the effective flag demands every permitted capability)." % (
                        ",".join(_caps.mask_to_names(wanted.permitted & ~bounding)))))
    if wanted.root_equivalent():
        out.append(("root_equivalent", "A file holding %s lets whoever can run it take over the host: "
                    "root-equivalent for them. Keep it group-restricted." % ",".join(wanted.root_equivalent())))
    return out


# ---------------------------------------------------------------- acting on a plan

def apply(path, caps, identity=None):
    """Set (or with None remove) the security.capability xattr of an existing file, through a descriptor.

    `identity` (st_dev, st_ino) is the file that was planned for; another one found at the path is refused.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise CapsWriteError("cannot open %s: %s" % (path, os.strerror(exc.errno or 0)))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (identity is not None and (st.st_dev, st.st_ino) != tuple(identity)):
            raise CapsWriteError("%s changed since it was read; nothing was written" % path)
        if caps is None:
            try:
                os.removexattr(fd, _caps.XATTR_NAME)
            except OSError as exc:
                if exc.errno not in (errno.ENODATA,) + _NOT_SUPPORTED:
                    raise
        else:
            os.setxattr(fd, _caps.XATTR_NAME, _caps.encode(caps))
    except OSError as exc:
        if exc.errno in _NOT_SUPPORTED:
            raise CapsWriteError("the filesystem of %s does not support security extended attributes" % path)
        raise CapsWriteError("cannot set capabilities on %s: %s" % (path, os.strerror(exc.errno or 0)))
    finally:
        os.close(fd)


def converge(params, host, decided, root="/"):
    """Carry out a plan: re-make the copy (owner, mode, capabilities on the temp file) or set the xattr."""
    params = dict(DEFAULTS, **params)
    path = _paths.host_path(root, params["path"])
    if "copy" in decided.actions:
        xattrs = {_caps.XATTR_NAME: _caps.encode(decided.wanted)} if decided.wanted is not None else None
        try:
            _fileio.write_atomic(path, None, decided.mode, 0, decided.gid, xattrs=xattrs,
                                 source=_paths.host_path(root, params["source"]))
        except _fileio.FileWriteError as exc:
            if isinstance(exc.__context__, OSError) and exc.__context__.errno in _NOT_SUPPORTED:
                raise CapsWriteError("the filesystem of %s does not support security extended attributes" % path)
            raise CapsWriteError(str(exc))
    elif decided.actions:
        current = host["file"]
        apply(path, decided.wanted, (current.dev, current.ino))
