# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How the collection runs the few host commands it needs: one home for the environment, the error and the
overlap of independent commands.

The readers take `run(argv) -> (rc, stdout, stderr)`. A module builds it with `runner(module.run_command)`, so
module_utils never see AnsibleModule; tests pass any callable.
"""

from __future__ import annotations

import concurrent.futures

# Commands' output is parsed: always the C locale, whatever the host or the controller sets.
ENV = {"LC_ALL": "C", "LANG": "C"}


class CommandError(Exception):
    """A command could not be started at all (not: it ran and failed; that is its rc)."""

    def __init__(self, argv, error):
        self.argv = list(argv)
        self.errno = getattr(error, "errno", None)
        super().__init__("cannot run %s: %s" % (self.argv[0], error))


def runner(run_command):
    """`run(argv)` over AnsibleModule.run_command: C locale, no shell, from / (a probe run as the tracing user
    must not inherit the module's working directory, often root's home: BCC's compiler then fails to read its
    headers, measured), and a start failure raised as CommandError instead of run_command's own fail_json (which
    must not happen in a worker thread)."""

    def run(argv):
        try:
            return run_command(list(argv), environ_update=ENV, handle_exceptions=False, cwd="/")
        except OSError as exc:
            raise CommandError(argv, exc) from exc

    return run


class Overlapped:
    """`run` that can start commands early: `start(argv)` runs it in a worker thread now, and the reader's
    later `run(argv)` gets its result (or its exception). Commands not started run when asked, as before.

    Why: a reader's commands wait on other programs, not on Python. `gdb --version` alone takes about
    100 ms (gdb starts its Python); started first, it overlaps the rest of the snapshot.
    """

    def __init__(self, run, workers=8):
        self._run = run
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        self._started = {}

    def start(self, argv):
        key = tuple(argv)
        if key not in self._started:
            self._started[key] = self._pool.submit(self._run, list(argv))

    def run(self, argv):
        future = self._started.pop(tuple(argv), None)
        return self._run(argv) if future is None else future.result()

    def close(self):
        """Wait for the commands started and not asked for (none are left running behind the caller)."""
        self._pool.shutdown(wait=True)
        self._started.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
