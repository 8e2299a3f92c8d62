# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential tests: the collection's models against the real sudo and kernel.

They change /etc and create users, so they only run inside the container that
tests/real/run starts (DEBUGREADY_REAL=1); anywhere else they are skipped.
"""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import settings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import collection_path  # noqa: E402

collection_path.install()

# The checkout is read-only in the container: no example database. DEBUGREADY_EXAMPLES scales
# every generated suite (default: each test's own max_examples).
settings.register_profile("real", database=None, deadline=None, print_blob=True)
settings.load_profile("real")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DEBUGREADY_REAL") == "1":
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
