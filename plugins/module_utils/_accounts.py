# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Local accounts: resolving a user given by name or uid, and the sudoers principals that name them."""

from __future__ import annotations

import grp
import pwd


class AccountError(Exception):
    """A user that does not exist."""


def resolve(user):
    """{"name", "uid", "gid", "groups"} for a user name or a numeric uid (int or digits)."""
    text = str(user).strip()
    try:
        entry = pwd.getpwuid(int(text)) if text.isdigit() else pwd.getpwnam(text)
    except (KeyError, ValueError, OverflowError):
        raise AccountError("user %r does not exist on this host" % (user,))
    groups = set()
    try:
        groups.add(grp.getgrgid(entry.pw_gid).gr_name)
    except KeyError:
        pass
    groups.update(g.gr_name for g in grp.getgrall() if entry.pw_name in g.gr_mem)
    return {"name": entry.pw_name, "uid": entry.pw_uid, "gid": entry.pw_gid, "groups": sorted(groups)}


def name_of_uid(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return str(uid)


def principals(account):
    """Every way a sudoers user list can name this account (aliases aside)."""
    names = ["ALL", account["name"], "#%d" % account["uid"]]
    for group in account["groups"]:
        names.append("%" + group)
    try:
        names.append("%%#%d" % account["gid"])
    except (KeyError, TypeError):
        pass
    return names
