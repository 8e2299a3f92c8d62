# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Apache httpd awareness: master and workers, and whether CoreDumpDirectory makes workers dumpable.

httpd 2.4 (mod_unixd) calls prctl(PR_SET_DUMPABLE, 1) after dropping privileges only when
CoreDumpDirectory is configured; without it the workers are not dumpable.
"""

from __future__ import annotations

import glob
import re

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths

# comm of the master and workers: apache2 on Debian/Ubuntu, httpd on the Red Hat family and Alpine
# (whose apache2 package runs /usr/sbin/httpd).
APACHE_NAMES = ("apache2", "httpd")
# The main file and the include directories of each family's package: Debian/Ubuntu (apache2),
# Red Hat (httpd), Alpine (apache2: httpd.conf with IncludeOptional /etc/apache2/conf.d/*.conf).
CONFIG_GLOBS = (
    "/etc/apache2/apache2.conf", "/etc/apache2/conf-enabled/*.conf", "/etc/apache2/mods-enabled/*.conf",
    "/etc/apache2/sites-enabled/*", "/etc/httpd/conf/httpd.conf", "/etc/httpd/conf.d/*.conf",
    "/etc/httpd/conf.modules.d/*.conf", "/etc/apache2/httpd.conf", "/etc/apache2/conf.d/*.conf",
)
_DIRECTIVE = re.compile(r"^\s*CoreDumpDirectory\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def coredump_directory(root="/"):
    """(directory or None, config file or None) of the first CoreDumpDirectory found."""
    for pattern in CONFIG_GLOBS:
        for path in sorted(glob.glob(_paths.host_path(root, pattern))):
            try:
                with open(path, "r") as handle:
                    match = _DIRECTIVE.search(handle.read())
            except (OSError, UnicodeDecodeError):
                continue
            if match:
                logical = _paths.logical_path(root, path)
                return match.group(1).strip('"'), logical
    return None, None


def roles(processes):
    """{pid: "master" | "worker"} for Apache processes; a master's parent is not Apache."""
    by_pid = dict((p["pid"], p) for p in processes)
    result = {}
    for proc in processes:
        if proc.get("comm") not in APACHE_NAMES:
            continue
        parent = by_pid.get(proc.get("ppid"))
        result[proc["pid"]] = "worker" if parent and parent.get("comm") in APACHE_NAMES else "master"
    return result
