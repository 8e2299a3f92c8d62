# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container the differential tests rely on: real sudo and its parser, root, the mounts."""

from __future__ import annotations

import os
import shutil


def test_real_sudo_and_parser_are_there():
    for tool in ("sudo", "visudo", "cvtsudoers"):
        assert shutil.which(tool), tool
    assert os.geteuid() == 0


def test_mount_options_of_the_scratch_mounts():
    with open("/proc/self/mountinfo") as handle:
        options = dict((line.split()[4], line.split()[5].split(",")) for line in handle)
    assert "nosuid" in options["/mnt/nosuid"]
    assert "noexec" in options["/mnt/noexec"]
