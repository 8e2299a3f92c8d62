# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Paths under a host root: every reader takes `root` ('/' on a real host, a fixture tree in tests)."""

from __future__ import annotations

import os


def host_path(root, path):
    """Where the host's absolute `path` is when the host is mounted at `root`."""
    return os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path


def logical_path(root, host):
    """The host's absolute path of a file found at `host` under `root`."""
    return host if root in ("", "/") else "/" + os.path.relpath(host, root)
