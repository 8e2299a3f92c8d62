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
"""

from __future__ import annotations

import errno
import os
import tempfile

TEMP_PREFIX = ".debugready-"  # a leading dot: sudo's includedir and sysctl.d both ignore it


class FileWriteError(Exception):
    """A write that did not happen; the destination is unchanged."""


def read_bytes(path):
    """The file's content, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise FileWriteError("cannot read %s: %s" % (path, os.strerror(exc.errno or 0)))


def write_atomic(path, data, mode, uid=0, gid=0, xattrs=None, validate=None, source=None):
    """Replace `path` with `data` (or a copy of the file `source`), owner uid:gid, `mode`, `xattrs`.

    `validate(temp_path)` runs on the finished temp file and raises to stop the write.
    On any error the temp file is removed and the destination is left as it was.
    """
    directory = os.path.dirname(path)
    try:
        handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    except OSError as exc:
        raise FileWriteError("cannot create a temp file in %s: %s" % (directory, os.strerror(exc.errno or 0)))
    try:
        with os.fdopen(handle, "wb") as out:
            if source is not None:
                with open(source, "rb") as src:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        out.write(chunk)
            else:
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # chown first: it would clear capabilities set before it.
        os.chown(temp, uid, gid)
        os.chmod(temp, mode)
        for name, value in (xattrs or {}).items():
            os.setxattr(temp, name, value)
        if validate is not None:
            validate(temp)
        os.rename(temp, path)
    except OSError as exc:
        _remove(temp)
        raise FileWriteError("cannot write %s: %s" % (path, os.strerror(exc.errno or 0) if exc.errno else exc))
    except BaseException:
        _remove(temp)
        raise
    _fsync_dir(directory)


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


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
