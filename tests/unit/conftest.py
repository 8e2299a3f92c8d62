# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures of the unit tests; the collection is importable through tests/collection_path.py."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import collection_path  # noqa: E402

collection_path.install()

import pytest  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_tree import Tree  # noqa: E402


@pytest.fixture
def tree(tmp_path):
    """An empty host root; `tree.write('/etc/x', text)` fills it."""
    return Tree(tmp_path)


@pytest.fixture
def deadline():
    """`with deadline(5): ...` fails the test instead of hanging when the code blocks (a FIFO opened for reading)."""
    @contextlib.contextmanager
    def within(seconds):
        def expired(signum, frame):
            raise AssertionError("still running after %d s: blocked" % seconds)
        previous = signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)
        try:
            yield
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return within
