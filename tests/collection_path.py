# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make `ansible_collections.debugready.ptrace` importable from a plain checkout.

A collection is imported through an `ansible_collections/<ns>/<name>` path. When the
checkout is not already at such a path, point a private symlink at it. Used by the
conftest.py of tests/unit and tests/real.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def collections_root():
    parts = REPO.split(os.sep)
    if parts[-3:] == ["ansible_collections", "debugready", "ptrace"]:
        return os.sep.join(parts[:-3])
    tag = hashlib.sha256(REPO.encode()).hexdigest()[:12]
    base = os.path.join(tempfile.gettempdir(), "debugready-unit-%s" % tag)
    link = os.path.join(base, "ansible_collections", "debugready", "ptrace")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.realpath(link) != os.path.realpath(REPO):
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(REPO, link)
    return base


def install():
    root = collections_root()
    if root not in sys.path:
        sys.path.insert(0, root)
