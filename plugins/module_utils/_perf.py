# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What decides whether perf, bpftrace and BCC may run, besides ptrace's checks.

The kernel settings (read at runtime here; which persisted value wins at boot is the sysctl.d resolver's,
_sysctl.boot_facts), kernel lockdown, and the tracing file systems that kprobes, uprobes and tracepoints need.
Every reader takes `root`, and says null where the host does not show the answer.
"""

from __future__ import annotations

import glob
import gzip
import os
import re

from ansible_collections.debugready.ptrace.plugins.module_utils import _caps, _paths, _sysctl

# The settings. perf_event_paranoid goes from -1 to 2 in mainline; Debian's and Ubuntu's kernels add 3 (no
# unprivileged perf_event_open at all). unprivileged_bpf_disabled 1 cannot be set back to 0 without a reboot.
SETTINGS = ("kernel.perf_event_paranoid", "kernel.kptr_restrict", "kernel.unprivileged_bpf_disabled")
LOCKDOWN_FILE = "/sys/kernel/security/lockdown"
KPROBES_OPTION = "CONFIG_KPROBES"
TRACING_FILESYSTEMS = ("tracefs", "debugfs")
# BCC's tools as Debian and Ubuntu name them (bpfcc-tools: /usr/sbin/execsnoop-bpfcc, ...).
BCC_SUFFIX = "-bpfcc"
BCC_DIRS = ("/usr/sbin", "/usr/share/bcc/tools")
# The Kconfig option that Debian's and Ubuntu's perf_event_paranoid=3 patch adds: a kernel whose config names it
# (set or not) knows level 3; a mainline kernel has no such option and treats 3 as 2.
PARANOID_3_OPTION = "CONFIG_SECURITY_PERF_EVENTS_RESTRICT"


def parse_int(text):
    """A setting's text as an int, or None when it is not one."""
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def runtime_value(key, root="/"):
    """The live value of one setting as an int; None where the kernel has no such key (or it is unreadable)."""
    try:
        return parse_int(_sysctl.read_runtime(key, root))
    except OSError:
        return None


def runtime_settings(root="/"):
    """{dotted key: int or None}: runtime_value() of each of SETTINGS."""
    return dict((key, runtime_value(key, root)) for key in SETTINGS)


def kernel_config_names(text, option):
    """True when a kernel config text names `option` (as `option=...` or `# option is not set`)."""
    # substring tests, not a multi-line regex: a distribution's config is about 260 KB (0.9 ms with re, 0.14 without)
    lines = "\n" + text + "\n"
    return ("\n%s=" % option) in lines or ("\n# %s is not set\n" % option) in lines


def kernel_release(root="/"):
    """The running kernel's release (uname -r), or None when /proc does not show it."""
    try:
        return _sysctl.read_runtime("kernel.osrelease", root)
    except OSError:
        return None


def read_kernel_config(root="/", release=None):
    """The running kernel's config text (/boot/config-RELEASE, then /proc/config.gz), or None when neither can be
    read. `release`: the running kernel's, read from /proc when not given."""
    if release is None:
        release = kernel_release(root)
    candidates = []
    if release and "/" not in release:
        candidates.append((_paths.host_path(root, "/boot/config-%s" % release), open))
    candidates.append((_paths.host_path(root, "/proc/config.gz"), gzip.open))
    for path, opener in candidates:
        try:
            with opener(path, "rt") as handle:
                return handle.read()
        except (OSError, EOFError, UnicodeDecodeError):
            continue
    return None


def paranoid_3_denies_all(root="/", release=None, config=None):
    """Whether perf_event_paranoid 3 refuses every unprivileged perf_event_open on this kernel.

    True on a kernel carrying Debian's and Ubuntu's patch, False on a mainline one (3 acts as 2), None when the
    kernel's config cannot be read. `config`: its text when the caller has read it already.
    """
    text = config if config is not None else read_kernel_config(root, release)
    return None if text is None else kernel_config_names(text, PARANOID_3_OPTION)


def kprobes_available(root="/", release=None, config=None):
    """Whether this kernel has kprobes (CONFIG_KPROBES=y): None when its config cannot be read. `config`: as for
    paranoid_3_denies_all."""
    text = config if config is not None else read_kernel_config(root, release)
    return None if text is None else ("\n%s=y\n" % KPROBES_OPTION) in "\n" + text + "\n"


def seccomp_blocks_perf(container, seccomp_mode, bounding):
    """Whether this container's seccomp profile refuses perf_event_open, and bpf() with it: True for podman's
    default profile, which allows either only to a container holding CAP_SYS_ADMIN (measured: CAP_PERFMON, CAP_BPF
    are not enough); None for another engine's filter (not measured); False outside a container or without a
    filter."""
    if not container.get("detected") or seccomp_mode != 2 or bounding >> _caps.CAP_NUMBERS["cap_sys_admin"] & 1:
        return False
    return True if container.get("engine") == "podman" else None


def parse_lockdown(text):
    """(mode, available) from securityfs' lockdown file: "none [integrity] confidentiality" -> integrity."""
    if text is None:
        return None, None
    available = [word.strip("[]") for word in text.split()]
    chosen = re.search(r"\[(\w+)\]", text)
    return (chosen.group(1) if chosen else None), available


def kernel_symbols_visible(kptr_restrict, perf_event_paranoid, has_cap_syslog):
    """Whether /proc/kallsyms shows real addresses to a process (the kernel's kallsyms_show_value, as the file is
    opened): at kptr_restrict 0 when perf_event_paranoid is 1 or less, or with CAP_SYSLOG; at 1 with CAP_SYSLOG; at
    2 never. Without them perf, bpftrace and BCC cannot name kernel functions in samples and stacks. None when
    it depends on a setting that cannot be read. CAP_SYSLOG counts in the initial user namespace only (a rootless
    container's does not)."""
    if kptr_restrict is None:
        return None
    if kptr_restrict >= 2:
        return False
    if has_cap_syslog:
        return True
    if kptr_restrict == 0:
        return None if perf_event_paranoid is None else perf_event_paranoid <= 1
    return False


def lockdown(root="/"):
    """{"mode", "available"}; both null when securityfs does not show lockdown (not mounted, or no such LSM)."""
    try:
        with open(_paths.host_path(root, LOCKDOWN_FILE), "r") as handle:
            text = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        text = None
    mode, available = parse_lockdown(text)
    return {"mode": mode, "available": available}


def _unescape(field):
    # mountinfo escapes space, tab, newline and backslash as \\ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text):
    """[(mount point, file system type, mount options)] of a /proc/PID/mountinfo text."""
    mounts = []
    for line in text.splitlines():
        before, sep, after = line.partition(" - ")
        fields = before.split()
        if not sep or len(fields) < 6 or not after.split():
            continue
        mounts.append((_unescape(fields[4]), after.split()[0], fields[5]))
    return mounts


# Where BCC (bpftrace's probe library) writes uprobe_events and kprobe_events when the kernel refuses it the probe
# PMUs (without CAP_SYS_ADMIN, measured on 6.18).
PROBE_EVENTS_DIRS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
DEBUGFS_PATH = "/sys/kernel/debug"


def probe_events_writable(tracefs):
    """Whether root can add probe events through tracefs (`tracefs`: tracing_mounts()'s entry): True when it is
    mounted read-write where BCC looks, False when it is not mounted or read-only, None when that is unknown."""
    if tracefs.get("mounted") is None:
        return None
    if not tracefs["mounted"] or tracefs.get("read_only"):
        return False
    return True if tracefs.get("path") in PROBE_EVENTS_DIRS else None


def tracing_mounts(root="/"):
    """{"tracefs": {...}, "debugfs": {...}}: where each is mounted (its first mount), and the mode of that
    directory; "mounted" is null when the mount table cannot be read."""
    try:
        with open(_paths.host_path(root, "/proc/self/mountinfo"), "r") as handle:
            # only the lines that can be ours are parsed: a host with many containers has hundreds of mounts
            mounts = parse_mountinfo("\n".join(line for line in handle if "tracefs" in line or "debugfs" in line))
    except (OSError, UnicodeDecodeError):
        mounts = None
    facts = {}
    for fstype in TRACING_FILESYSTEMS:
        found = [m for m in mounts or () if m[1] == fstype]
        info = {"mounted": None if mounts is None else bool(found), "path": None, "mode": None,
                "read_only": None}
        if found:
            path, dummy, options = found[0]
            info["path"] = path
            info["read_only"] = "ro" in options.split(",")
            try:
                info["mode"] = "%04o" % (os.stat(_paths.host_path(root, path)).st_mode & 0o7777)
            except OSError:
                pass
        facts[fstype] = info
    return facts


# Where BCC (0.26's clang loader) finds the running kernel's headers, which it compiles every program against:
# /lib/modules/RELEASE/source when both source and build are directories there, else build; they count when
# include/linux/kconfig.h is a regular file in it. Else the kernel's own copy (CONFIG_IKHEADERS), which BCC
# unpacks from /sys/kernel/kheaders.tar.xz, loading the kheaders module first when it is one (root only).
MODULES_DIR = "/lib/modules"
KHEADERS_FILE = "/sys/kernel/kheaders.tar.xz"
HEADERS_MARKER = "include/linux/kconfig.h"


def bcc_kernel_headers(root="/", release=None):
    """{"found", "path", "via"}: whether BCC finds the running kernel's headers. `via` is "source" or "build"
    (/lib/modules/RELEASE/...), "kheaders" (the kernel's own copy) or "kheaders_module" (a module only root can
    load: found is then null, it depends on who runs the tool); found is False with neither, null when the
    kernel's release cannot be read. BCC_KERNEL_SOURCE in the tool's environment overrides all this."""
    if release is None:
        release = kernel_release(root)
    if not release or "/" in release:
        return {"found": None, "path": None, "via": None}
    kdir = "%s/%s" % (MODULES_DIR, release)
    subdir = "source" if all(os.path.isdir(_paths.host_path(root, "%s/%s" % (kdir, d))) for d in ("build", "source")) \
        else "build"
    path = "%s/%s" % (kdir, subdir)
    if os.path.isfile(_paths.host_path(root, "%s/%s" % (path, HEADERS_MARKER))):
        return {"found": True, "path": path, "via": subdir}
    if os.path.isfile(_paths.host_path(root, KHEADERS_FILE)):
        return {"found": True, "path": KHEADERS_FILE, "via": "kheaders"}
    module_dir = _paths.host_path(root, "%s/kernel/kernel" % kdir)
    try:
        modules = [n for n in os.listdir(module_dir) if n.startswith("kheaders.ko")]
    except OSError:
        modules = []
    if modules:
        return {"found": None, "path": "%s/kernel/kernel/%s" % (kdir, modules[0]), "via": "kheaders_module"}
    return {"found": False, "path": None, "via": None}


# BCC's Python package records its version: Debian's and Ubuntu's python3-bpfcc, the Red Hat family's python3-bcc,
# or an upstream install under /usr/lib/pythonX.Y/site-packages.
BCC_VERSION_FILES = ("/usr/lib/python3/dist-packages/bcc/version.py", "/usr/lib/python3*/site-packages/bcc/version.py",
                     "/usr/lib64/python3*/site-packages/bcc/version.py")
_BCC_VERSION = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", re.M)


def bcc_version(root="/"):
    """The installed BCC's version from its Python package (no command: importing bcc loads libbcc), or None."""
    for pattern in BCC_VERSION_FILES:
        for path in sorted(glob.glob(_paths.host_path(root, pattern))):
            try:
                with open(path, "r") as handle:
                    match = _BCC_VERSION.search(handle.read(4096))
            except (OSError, UnicodeDecodeError):
                continue
            if match:
                return match.group(1)
    return None


def bcc_tools(root="/"):
    """Sorted names of the BCC tools installed (Debian's *-bpfcc in /usr/sbin, or upstream's tools dir)."""
    names = set()
    for directory in BCC_DIRS:
        try:
            entries = os.listdir(_paths.host_path(root, directory))
        except OSError:
            continue
        if directory == "/usr/sbin":
            names.update(n for n in entries if n.endswith(BCC_SUFFIX))
        else:
            names.update(entries)
    return sorted(names)
