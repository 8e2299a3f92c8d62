# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host root directory built file by file for the readers' unit tests."""

from __future__ import annotations

import os


class Tree(object):
    def __init__(self, path):
        self.path = str(path)

    def __str__(self):
        return self.path

    def __truediv__(self, other):
        # Host-absolute paths stay inside the tree (never the real /usr/sbin/visudo).
        return os.path.join(self.path, other.lstrip("/"))

    def write(self, path, text="", link=None, mode=None, uid=None, gid=None):
        full = os.path.join(self.path, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if link is not None:
            os.symlink(link, full)
            return full
        with open(full, "w") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(full, mode)
        if uid is not None or gid is not None:
            os.chown(full, -1 if uid is None else uid, -1 if gid is None else gid)
        return full

    def mkdir(self, path):
        full = os.path.join(self.path, path.lstrip("/"))
        os.makedirs(full, exist_ok=True)
        return full
