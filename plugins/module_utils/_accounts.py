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
    """{"name", "uid", "gid", "groups", "gids"} for a user name or a numeric uid (int or digits)."""
    text = str(user).strip()
    try:
        # Only 0-9 make a uid: int() also reads other scripts' digits ('٠' would be root).
        entry = pwd.getpwuid(int(text)) if text.isascii() and text.isdigit() else pwd.getpwnam(text)
    except (KeyError, ValueError, OverflowError):
        raise AccountError("user %r does not exist on this host" % (user,))
    groups = set()
    gids = set([entry.pw_gid])
    try:
        groups.add(grp.getgrgid(entry.pw_gid).gr_name)
    except KeyError:
        pass
    for group in grp.getgrall():
        if entry.pw_name in group.gr_mem:
            groups.add(group.gr_name)
            gids.add(group.gr_gid)
    return {"name": entry.pw_name, "uid": entry.pw_uid, "gid": entry.pw_gid, "groups": sorted(groups),
            "gids": sorted(gids)}


def lookup(user):
    """resolve(), or None for a user that does not exist ('#uid' is a uid, as in sudoers)."""
    text = str(user)
    try:
        return resolve(text[1:] if text.startswith("#") and text[1:].isdigit() else text)
    except AccountError:
        return None


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
    for gid in sorted(set(account.get("gids") or []) | set([account["gid"]])):
        names.append("%%#%d" % gid)
    return names
