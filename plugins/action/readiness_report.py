# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Write report files on the controller in-process: no AnsiballZ payload, no module execution."""

from __future__ import annotations

import os
import re
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


class ReportInputError(Exception):
    """Arguments that cannot be written: nothing is written."""


def _write_atomic(path, data, mode):
    handle, temp = tempfile.mkstemp(prefix=".report-", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_files(dest, files, mode_text, check_mode=False):
    """The paths whose content differs, written (unless check_mode) after every input was checked."""
    if not os.path.isabs(dest):
        raise ReportInputError("dest must be an absolute directory, got %r" % dest)
    try:
        mode = int(mode_text, 8)
    except ValueError:
        raise ReportInputError("mode must be octal, e.g. '0644', got %r" % mode_text)
    if not 0 <= mode <= 0o777:
        raise ReportInputError("mode %s is out of range (0000-0777)" % mode_text)
    bad = sorted(repr(name) for name in files if not _NAME.match(str(name)) or name in (".", ".."))
    if bad:
        raise ReportInputError("file names must be plain names (letters, digits, '.', '_', '-'): %s" % ", ".join(bad))
    not_text = sorted(name for name, text in files.items() if not isinstance(text, str))
    if not_text:
        raise ReportInputError("file contents must be text (render them with a template): %s" % ", ".join(not_text))
    wanted = dict((os.path.join(dest, name), to_bytes(text)) for name, text in files.items())
    written = []
    for path in sorted(wanted):
        try:
            with open(path, "rb") as handle:
                if handle.read() == wanted[path]:
                    continue
        except OSError:
            pass
        written.append(path)
    if written and not check_mode:
        os.makedirs(dest, mode=0o755, exist_ok=True)
        for path in written:
            _write_atomic(path, wanted[path], mode)
    return written


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
        except ReportInputError as exc:
            raise AnsibleActionFail(str(exc))
        except OSError as exc:
            raise AnsibleActionFail("cannot write the report in %s: %s" % (args["dest"], exc.strerror or exc))
        result.update(changed=bool(written), dest=args["dest"], written=written)
        return result
