# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Container detection: is this a container, which engine, and what it leaves us."""

from __future__ import annotations

import os

from ansible_collections.debugready.ptrace.plugins.module_utils import _paths

ENGINES = ("podman", "docker", "lxc", "kubernetes", "systemd-nspawn", "containerd", "crio", "wsl")


def _read(root, path, binary=False):
    try:
        with open(_paths.host_path(root, path), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return data if binary else data.decode("utf-8", "replace")


def _environ_container(root):
    data = _read(root, "/proc/1/environ", binary=True)
    if not data:
        return None
    for entry in data.split(b"\0"):
        if entry.startswith(b"container="):
            return entry[len(b"container="):].decode("utf-8", "replace") or None
    return None


def detect(root="/"):
    """{"detected", "engine", "evidence"}: the first clear sign wins, in this order."""
    if os.path.exists(_paths.host_path(root, "/run/.containerenv")):
        return {"detected": True, "engine": "podman", "evidence": "/run/.containerenv"}
    if os.path.exists(_paths.host_path(root, "/.dockerenv")):
        return {"detected": True, "engine": "docker", "evidence": "/.dockerenv"}
    marker = (_read(root, "/run/systemd/container") or "").strip()
    if marker:
        return {"detected": True, "engine": _engine_name(marker), "evidence": "/run/systemd/container"}
    env = _environ_container(root)
    if env:
        return {"detected": True, "engine": _engine_name(env), "evidence": "container= in /proc/1/environ"}
    cgroup = _read(root, "/proc/1/cgroup") or ""
    for needle, engine in (("kubepods", "kubernetes"), ("libpod", "podman"), ("docker", "docker"),
                           ("/lxc/", "lxc"), ("containerd", "containerd"), ("crio", "crio")):
        if needle in cgroup:
            return {"detected": True, "engine": engine, "evidence": "/proc/1/cgroup"}
    return {"detected": False, "engine": None, "evidence": None}


def _engine_name(marker):
    marker = marker.strip().lower()
    if marker == "oci":
        return "oci"
    for engine in ENGINES:
        if marker.startswith(engine):
            return engine
    return marker
