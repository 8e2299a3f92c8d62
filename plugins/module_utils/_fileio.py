# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Atomic file replacement with owner, mode and extended attributes set before the file goes live.

AnsibleModule.atomic_move() re-chowns the temp file to the old destination's owner (which
strips file capabilities) and gives newly created files a umask-based mode: both would make
the destination exist, for a moment, half-configured (a sudoers drop-in at 0644, a strace
copy without its capability). So the writers here prepare everything on a temp file in the
target directory and rename it over the destination, which is atomic on one filesystem.

Everything after the directory is opened goes through file descriptors: the temp file is
created relative to the directory's descriptor with O_EXCL|O_NOFOLLOW, and owner, mode and
xattrs are set with fchown/fchmod/fsetxattr on the temp file's own descriptor, never by
path. Whoever could swap the temp file's name for a symlink could otherwise make root give
their file root ownership, a setuid mode or a capability. The directory itself must be
trusted as sudo trusts its files' directories: owned by root (or by the writer's own
effective uid, which is root when a module runs) and not writable by group or others.
"""

from __future__ import annotations

import binascii
import errno
import os
import re
import stat

TEMP_PREFIX = ".debugready-"  # a leading dot: sudo's includedir and sysctl.d both ignore it
ACL_ACCESS_XATTR = "system.posix_acl_access"
_CHUNK = 1 << 20
_NOT_SUPPORTED = (errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP))
# ASCII octal digits only: int(text, 8) alone also takes ' 644', '6_44' and other scripts' digits ('\u0663').
_OCTAL = re.compile(r"^(0o)?[0-7]+\Z")


class FileWriteError(Exception):
    """A write that did not happen; the destination is unchanged."""


class UntrustedPathError(FileWriteError):
    """A directory or source file that someone other than root could change under the writer."""


class ModeError(ValueError):
    """A file mode that is not an octal number in range."""


def parse_mode(value, maximum=0o7777):
    """The mode of every file the collection writes or checks, as ansible.builtin.file takes a numeric one: an int
    is the mode itself (YAML's 0750 arrives as 488), a string is octal ('0750', '750', '0o750'). Symbolic modes,
    booleans and anything but ASCII octal digits are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) \
            or isinstance(value, str) and not _OCTAL.match(value):
        raise ModeError("mode must be octal, e.g. '0750', got %r" % (value,))
    mode = value if isinstance(value, int) else int(value, 8)
    if not 0 <= mode <= maximum:
        raise ModeError("mode %r is out of range (0 to 0%o)" % (value, maximum))
    return mode


def read_bytes(path):
    """The file's content, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))


def untrusted_reason(st, what):
    """Why a file or directory with this stat could be changed by someone but root; None if it cannot.

    The owner may be root or the writer's effective uid (root when a module runs; the caller
    itself in unit tests). Group or other write permission is refused even with the sticky bit.
    """
    owner = st.st_uid
    if owner not in (0, os.geteuid()):
        return "%s is owned by uid %d, not root" % (what, owner)
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "%s is writable by %s (mode %04o)" % (
            what, "group and others" if st.st_mode & stat.S_IWGRP and st.st_mode & stat.S_IWOTH
            else "its group" if st.st_mode & stat.S_IWGRP else "others", stat.S_IMODE(st.st_mode))
    return None


def open_directory(directory):
    """A descriptor of `directory` after checking it is trusted (UntrustedPathError otherwise)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise FileWriteError("cannot create a temp file in %s: %s" % (directory, os.strerror(exc.errno or 0)))
    try:
        reason = untrusted_reason(os.fstat(fd), "directory %s" % directory)
    except OSError as exc:
        os.close(fd)
        raise FileWriteError("cannot inspect %s: %s" % (directory, os.strerror(exc.errno or 0)))
    if reason:
        os.close(fd)
        raise UntrustedPathError("refusing to write in %s: %s; whoever can change that directory could replace "
                                 "the file after it is written" % (directory, reason))
    return fd


def open_source(path):
    """(descriptor, real path) of a source file to copy, read-only.

    The path is resolved once (a packaged tool is often a symlink managed by alternatives) and
    the result opened with O_NOFOLLOW, so a symlink swapped in afterwards is refused. The file
    and its directory must be trusted, or someone could change what root is about to copy.
    """
    real = os.path.realpath(path)
    try:
        # O_NONBLOCK: a FIFO in place of the source must be refused below, not block the open.
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UntrustedPathError("source %s changed into a symlink while it was opened" % path)
        raise FileWriteError("cannot open source %s: %s" % (path, os.strerror(exc.errno or 0)))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileWriteError("source %s is not a regular file" % path)
        reason = untrusted_reason(st, "source %s" % real) or untrusted_reason(
            os.stat(os.path.dirname(real)), "the directory of source %s" % real)
        if reason:
            raise UntrustedPathError("refusing to copy %s: %s" % (path, reason))
    except OSError as exc:
        os.close(fd)
        raise FileWriteError("cannot inspect source %s: %s" % (path, os.strerror(exc.errno or 0)))
    except FileWriteError:
        os.close(fd)
        raise
    return fd, real


def write_atomic(path, data, mode, uid=0, gid=0, xattrs=None, validate=None, source=None):
    """Replace `path` with `data` (or a copy of the file `source`), owner uid:gid, `mode`, `xattrs`.

    `validate(temp_path)` runs on the finished temp file and raises to stop the write.
    On any error the temp file is removed and the destination is left as it was. The temp
    file loses any access ACL it inherits from a default ACL of the directory: `mode` is the
    whole permission.
    """
    directory = os.path.dirname(path) or "."
    dir_fd = open_directory(directory)
    try:
        write_at(dir_fd, directory, os.path.basename(path), data, mode, uid, gid, xattrs, validate, source)
    finally:
        os.close(dir_fd)


def write_at(dir_fd, directory, name, data, mode, uid=0, gid=0, xattrs=None, validate=None, source=None):
    """write_atomic() in an already opened (and checked) directory; `directory` names it in messages."""
    path = os.path.join(directory, name)
    src_fd = None
    if source is not None:
        src_fd = open_source(source)[0]
    try:
        temp_name, fd = _create_temp(dir_fd, directory)
    except BaseException:
        if src_fd is not None:
            os.close(src_fd)
        raise
    temp = os.path.join(directory, temp_name)
    try:
        try:
            _fill(fd, data, src_fd)
            os.fsync(fd)
            # chown first: it clears setuid/setgid bits and capabilities set before it.
            os.fchown(fd, uid, gid)
            _remove_xattr(fd, ACL_ACCESS_XATTR)
            os.fchmod(fd, mode)
            for key, value in (xattrs or {}).items():
                os.setxattr(fd, key, value)
            if validate is not None:
                validate(temp)
            mine = os.fstat(fd)
            _same_file_or_fail(dir_fd, temp_name, mine, temp)
            os.rename(temp_name, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError as exc:
            _remove_own(dir_fd, temp_name, fd)
            raise FileWriteError("cannot write %s: %s" % (path, os.strerror(exc.errno) if exc.errno else exc))
        except BaseException:
            _remove_own(dir_fd, temp_name, fd)
            raise
        _same_file_or_fail(dir_fd, name, mine, path)
        _fsync(dir_fd)
    finally:
        os.close(fd)
        if src_fd is not None:
            os.close(src_fd)


def _create_temp(dir_fd, directory):
    """(name, descriptor) of a new 0600 file, as mkstemp does, but relative to the checked directory."""
    for _attempt in range(100):
        name = TEMP_PREFIX + binascii.hexlify(os.urandom(6)).decode("ascii")
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise FileWriteError("cannot create a temp file in %s: %s" % (directory, os.strerror(exc.errno or 0)))
        return name, fd
    raise FileWriteError("cannot create a temp file in %s: every name tried exists" % directory)


def _fill(fd, data, src_fd):
    if src_fd is None:
        view = memoryview(data or b"")
        while view:
            view = view[os.write(fd, view):]
        return
    while True:
        chunk = os.read(src_fd, _CHUNK)
        if not chunk:
            return
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]


def _same_file_or_fail(dir_fd, name, mine, shown):
    """The name still refers to our regular file (not a symlink or another file swapped in)."""
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except OSError as exc:
        raise FileWriteError("%s disappeared while it was written: %s" % (shown, os.strerror(exc.errno or 0)))
    if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (mine.st_dev, mine.st_ino):
        raise UntrustedPathError("%s was replaced while it was written (now %s): refusing to go on" % (
            shown, "a symlink" if stat.S_ISLNK(st.st_mode) else "another file"))


def _remove_own(dir_fd, name, fd):
    """Unlink the temp name only while it still is our file."""
    try:
        mine = os.fstat(fd)
        st = os.lstat(name, dir_fd=dir_fd)
        if (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino):
            os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def _remove_xattr(fd, key):
    try:
        os.removexattr(fd, key)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA,) + _NOT_SUPPORTED:
            raise


def remove(path):
    """Remove a file; True when something was removed."""
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise FileWriteError("cannot remove %s: %s" % (path, os.strerror(exc.errno or 0)))
    _fsync_dir(os.path.dirname(path))
    return True


def _fsync(fd):
    try:
        os.fsync(fd)
    except OSError:
        pass


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        _fsync(fd)
    finally:
        os.close(fd)
