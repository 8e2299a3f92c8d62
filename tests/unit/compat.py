# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the unit tests need from ansible-core that not every supported release (2.16 to 2.21) has."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

from ansible.module_utils import basic as _basic
from ansible.module_utils.common import warnings as _warnings

try:
    from ansible.module_utils.testing import patch_module_args as _patch_module_args  # 2.19+
except ImportError:  # 2.16-2.18: AnsibleModule reads the same module global, as plain JSON
    @contextlib.contextmanager
    def _patch_module_args(args=None):
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        data = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(_basic, "_ANSIBLE_ARGS", data):
            yield

try:
    from ansible.module_utils import _internal as _ansible_internal  # 2.19+: controller/target split
except ImportError:
    _ansible_internal = None

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template  # 2.19+: data tagging
except ImportError:
    def trust_as_template(value):
        """Before 2.19 every string is a template: nothing to mark."""
        return value


def templar(variables):
    """A Templar over `variables` as a play has them: before 2.19 `omit` is a play variable, not a template global."""
    if not hasattr(Templar, "evaluate_expression"):  # < 2.19
        variables = dict({"omit": "__omit_place_holder__unit_test"}, **variables)
    return Templar(loader=DataLoader(), variables=variables)


@contextlib.contextmanager
def patch_module_args(args=None):
    """Expose `args` to the AnsibleModule instances created within this context.

    Without syslog: the tests must not write to the host's log, and from Python 3.12 on syslog refuses a NUL byte
    (AnsibleModule then fails with "Failed to log to syslog" before the module can check its arguments).
    """
    with _patch_module_args(args), mock.patch.object(_basic, "HAS_SYSLOG", False):
        yield


@contextlib.contextmanager
def as_target():
    """Run module code as on a target: warnings go into the result, starting with none (they are kept per process)."""
    with contextlib.ExitStack() as stack:
        if _ansible_internal is not None and hasattr(_ansible_internal, "is_controller"):
            stack.enter_context(mock.patch.object(_ansible_internal, "is_controller", False))
        for name in ("_global_warnings", "_global_deprecations"):
            kept = getattr(_warnings, name, None)
            if isinstance(kept, dict):  # 2.19+
                stack.enter_context(mock.patch.dict(kept, clear=True))
            elif isinstance(kept, list):  # 2.16-2.18
                stack.enter_context(mock.patch.object(_warnings, name, []))
        yield


__all__ = ["as_target", "patch_module_args", "templar", "trust_as_template"]
