# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host trees modelled on real distributions' files, for the per-family tests (no such host is reachable here).

Each model writes the account entries, the Apache configuration lines and the /proc entries that the
distribution's own packages produce; the comments name where each comes from:
- debian12 / ubuntu2404: base-passwd's www-data (uid 33); apache2 package: /etc/apache2/apache2.conf with
  `User ${APACHE_RUN_USER}` (www-data in /etc/apache2/envvars), IncludeOptional conf-enabled/*.conf, comm apache2.
- rocky9 (RHEL 9): httpd package: /etc/httpd/conf/httpd.conf with `User apache` / `Group apache`,
  IncludeOptional conf.d/*.conf, account apache uid/gid 48 (setup's uidgid), comm httpd; wheel gid 10.
- alpine320: apache2 package: apache2.pre-install creates apache (system uid, group apache, also in www-data 82),
  /etc/apache2/httpd.conf with `User apache` and `IncludeOptional /etc/apache2/conf.d/*.conf`, binary
  /usr/sbin/httpd so comm httpd; busybox's /etc/group has wheel:x:10:root.
"""

from __future__ import annotations

import collections

from ansible_collections.debugready.ptrace.plugins.module_utils import _accounts

PwEntry = collections.namedtuple("PwEntry", "pw_name pw_passwd pw_uid pw_gid pw_gecos pw_dir pw_shell")
GrEntry = collections.namedtuple("GrEntry", "gr_name gr_passwd gr_gid gr_mem")

MODELS = {
    "debian12": {
        "passwd": "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                  "alice:x:1000:1000::/home/alice:/bin/bash\n",
        "group": "root:x:0:\nsudo:x:27:\nwww-data:x:33:\nalice:x:1000:\ndebug:x:1001:alice\n",
        "conf": {"/etc/apache2/apache2.conf": "User ${APACHE_RUN_USER}\nGroup ${APACHE_RUN_GROUP}\n"
                                              "IncludeOptional conf-enabled/*.conf\n",
                 "/etc/apache2/envvars": "export APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\n"},
        "include_dir": "/etc/apache2/conf-enabled",
        "comm": "apache2", "user": "www-data", "uid": 33,
    },
    "rocky9": {
        "passwd": "root:x:0:0:root:/root:/bin/bash\napache:x:48:48:Apache:/usr/share/httpd:/sbin/nologin\n"
                  "alice:x:1000:1000::/home/alice:/bin/bash\n",
        "group": "root:x:0:\nwheel:x:10:\napache:x:48:\nalice:x:1000:\ndebug:x:1001:alice\n",
        "conf": {"/etc/httpd/conf/httpd.conf": 'ServerRoot "/etc/httpd"\nInclude conf.modules.d/*.conf\n'
                                               "User apache\nGroup apache\nIncludeOptional conf.d/*.conf\n"},
        "include_dir": "/etc/httpd/conf.d",
        "comm": "httpd", "user": "apache", "uid": 48,
    },
    "alpine320": {
        "passwd": "root:x:0:0:root:/root:/bin/sh\napache:x:100:101:apache:/var/www:/sbin/nologin\n"
                  "alice:x:1000:1000::/home/alice:/bin/sh\n",
        "group": "root:x:0:root\nwheel:x:10:root\nwww-data:x:82:apache\napache:x:101:apache\n"
                 "alice:x:1000:\ndebug:x:1001:alice\n",
        "conf": {"/etc/apache2/httpd.conf": "ServerRoot /var/www\nUser apache\nGroup apache\n"
                                            "IncludeOptional /etc/apache2/conf.d/*.conf\n"},
        "include_dir": "/etc/apache2/conf.d",
        "comm": "httpd", "user": "apache", "uid": 100,
    },
}
MODELS["ubuntu2404"] = dict(MODELS["debian12"])
NAMES = sorted(MODELS)

# /etc/os-release as each release ships it (the lines that matter), and the family ansible gives it.
OS_RELEASE = {
    "debian12": ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
                 'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n', "Debian"),
    "ubuntu2404": ('PRETTY_NAME="Ubuntu 24.04 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04 LTS (Noble Numbat)"\n'
                   'VERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=noble\n', "Debian"),
    "rocky9": ('NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
               'VERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n', "RedHat"),
    "rhel9": ('NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n'
              'PLATFORM_ID="platform:el9"\n', "RedHat"),
    "alpine320": ('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n'
                  'HOME_URL="https://alpinelinux.org/"\n', "Alpine"),
    "opensuse156": ('NAME="openSUSE Leap"\nVERSION="15.6"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n'
                    'VERSION_ID="15.6"\n', "Suse"),
}

MASTER, WORKERS, OTHER = 700, (701, 702, 703), 900


def _process(tree, pid, ppid, comm, uid):
    tree.write("/proc/%d/comm" % pid, comm + "\n")
    tree.write("/proc/%d/status" % pid, "Name:\t%s\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%d\t%d\t%d\t%d\n"
                                        "Gid:\t%d\t%d\t%d\t%d\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                                        "CapBnd:\t000001ffffffffff\nNoNewPrivs:\t0\nSeccomp:\t0\n"
               % ((comm, pid, ppid) + (uid,) * 8))
    tree.write("/proc/%d/stat" % pid, "%d (%s) S %d %d %d 0 -1 4194560 0 0\n" % (pid, comm, ppid, pid, pid))
    tree.write("/proc/%d/environ" % pid, "")


def build(tree, name, coredump_directory=None):
    """The model's accounts, Apache configuration and processes: a root master, three workers, a shell."""
    model = MODELS[name]
    tree.write("/etc/passwd", model["passwd"])
    tree.write("/etc/group", model["group"])
    for path, text in model["conf"].items():
        tree.write(path, text)
    if coredump_directory:
        tree.write(model["include_dir"] + "/debugready-coredump.conf", "CoreDumpDirectory %s\n" % coredump_directory)
    _process(tree, 1, 0, "init", 0)
    _process(tree, MASTER, 1, model["comm"], 0)
    for pid in WORKERS:
        _process(tree, pid, MASTER, model["comm"], model["uid"])
    _process(tree, OTHER, 1, "sh", model["uid"])
    return model


class Accounts(object):
    """pwd and grp answering from the tree's /etc/passwd and /etc/group (the code under test uses NSS)."""

    def __init__(self, tree):
        with open(tree / "etc/passwd") as handle:
            self.users = [PwEntry(*(f if i not in (2, 3) else int(f) for i, f in enumerate(line.rstrip("\n").split(":"))))
                          for line in handle if line.strip()]
        with open(tree / "etc/group") as handle:
            self.groups = []
            for line in handle:
                if line.strip():
                    name, password, gid, members = line.rstrip("\n").split(":")
                    self.groups.append(GrEntry(name, password, int(gid), [m for m in members.split(",") if m]))

    def _find(self, entries, attr, value):
        for entry in entries:
            if getattr(entry, attr) == value:
                return entry
        raise KeyError(value)

    def install(self, monkeypatch, module):
        pwd_like = type("pwd", (), {})()
        pwd_like.getpwnam = lambda name: self._find(self.users, "pw_name", name)
        pwd_like.getpwuid = lambda uid: self._find(self.users, "pw_uid", uid)
        grp_like = type("grp", (), {})()
        grp_like.getgrnam = lambda name: self._find(self.groups, "gr_name", name)
        grp_like.getgrgid = lambda gid: self._find(self.groups, "gr_gid", gid)
        grp_like.getgrall = lambda: list(self.groups)
        monkeypatch.setattr(module, "pwd", pwd_like)
        monkeypatch.setattr(module, "grp", grp_like)


def host(tree, monkeypatch, name, coredump_directory=None):
    """build(), with _accounts answering from the model's /etc/passwd and /etc/group."""
    model = build(tree, name, coredump_directory)
    Accounts(tree).install(monkeypatch, _accounts)
    return model
