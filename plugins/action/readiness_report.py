# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write report files on the controller in-process: no AnsiballZ payload, no module execution."""

from __future__ import annotations

import os
import re
import stat

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.debugready.ptrace.plugins.module_utils import _fileio

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


class ReportInputError(Exception):
    """Arguments that cannot be written: nothing is written."""


def write_files(dest, files, mode_text, check_mode=False):
    """The paths whose content differs, written (unless check_mode) after every input was checked."""
    if not os.path.isabs(dest) or "\x00" in dest:
        raise ReportInputError("dest must be an absolute directory (without NUL bytes), got %r" % dest)
    try:
        mode = _fileio.parse_mode(mode_text, maximum=0o777)
    except _fileio.ModeError as exc:
        raise ReportInputError(str(exc))
    bad = sorted(repr(name) for name in files if not isinstance(name, str) or not _NAME.match(name)
                 or name in (".", ".."))
    if bad:
        raise ReportInputError("file names must be plain names (letters, digits, '.', '_', '-'): %s" % ", ".join(bad))
    not_text = sorted(name for name, text in files.items() if not isinstance(text, str))
    if not_text:
        raise ReportInputError("file contents must be text (render them with a template): %s" % ", ".join(not_text))
    wanted = dict((os.path.join(dest, name), to_bytes(text)) for name, text in files.items())
    directories = sorted(path for path in wanted if os.path.isdir(path) and not os.path.islink(path))
    if directories:
        raise ReportInputError("cannot write the report over a directory: %s" % ", ".join(directories))
    written = [path for path in sorted(wanted) if _current(path) != wanted[path]]
    if written and not check_mode:
        os.makedirs(dest, mode=0o755, exist_ok=True)
        for path in written:
            # The collection's one atomic writer, as the controller user: temp file in `dest`, mode set on it,
            # fsync, rename; a `dest` others could write is refused.
            _fileio.write_atomic(path, wanted[path], mode, os.geteuid(), os.getegid())
    return written


def _current(path):
    """The bytes of the regular file at `path`; None for anything else (missing, or a FIFO, which is replaced)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not block the open
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dest", "files", "mode"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            dest=dict(type="path", required=True),
            files=dict(type="dict", required=True),
            mode=dict(type="str", default="0644"),
        ))
        try:
            written = write_files(args["dest"], args["files"], args["mode"], self._task.check_mode)
        except (ReportInputError, _fileio.FileWriteError) as exc:
            raise AnsibleActionFail(str(exc))
        except OSError as exc:
            raise AnsibleActionFail("cannot write the report in %s: %s" % (args["dest"], exc.strerror or exc))
        result.update(changed=bool(written), dest=args["dest"], written=written)
        return result
