# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential tests: the collection's models against the real sudo and kernel.

They change /etc and create users, so they only run inside the container that
tests/real/run starts (DEBUGREADY_REAL=1); anywhere else they are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import settings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import collection_path  # noqa: E402

collection_path.install()

# The checkout is read-only in the container: no example database. DEBUGREADY_EXAMPLES scales
# every generated suite (default: each test's own max_examples). The examples are the same on every
# run (derandomize), so scripts/test and CI check one known set; DEBUGREADY_RANDOM=1 draws new ones
# (a failure prints the blob that reproduces it).
settings.register_profile("real", database=None, deadline=None, print_blob=True,
                          derandomize=os.environ.get("DEBUGREADY_RANDOM") != "1")
settings.load_profile("real")


def real_sudo_version():
    """The first line of `sudo -V` in this container ("Sudo version 1.9.13p3", "sudo-rs 0.2.5"), or None."""
    try:
        done = subprocess.run(["sudo", "-V"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, check=False)
    except OSError:
        return None
    # sudo-rs prints it on stderr.
    return ((done.stdout.strip() or done.stderr.strip()).splitlines() or [None])[0]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DEBUGREADY_REAL") == "1":
        version = real_sudo_version() or ""
        if not version.startswith("sudo-rs"):
            return
        # An image where sudo is sudo-rs (DEBUGREADY_REAL_IMAGE): only the sudo-rs suite applies; the others
        # compare with sudo's cvtsudoers, NOTAFTER and visudo, which sudo-rs does not have.
        skip = pytest.mark.skip(reason="needs sudo (sudo.ws); the sudo here is %s" % version)
        for item in items:
            if os.path.basename(str(item.fspath)) != "test_sudo_rs.py":
                item.add_marker(skip)
        return
    skip = pytest.mark.skip(reason="changes /etc: runs only in the container of tests/real/run")
    for item in items:
        item.add_marker(skip)


class Figures(object):
    """Measured figures a test reports; printed at the end of the run, also with -q."""

    def __init__(self):
        self.lines = []

    def add(self, name, text):
        self.lines.append((name, text))


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures():
    return _FIGURES


def pytest_terminal_summary(terminalreporter):
    if _FIGURES.lines:
        terminalreporter.section("figures")
        for name, text in _FIGURES.lines:
            terminalreporter.write_line("%s: %s" % (name, text))
