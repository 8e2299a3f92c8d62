"""The scenario's platforms and their groups, read from molecule.yml (one place), for testinfra's podman backend.

testinfra's podman backend (`podman exec`) is much faster than its ansible backend (one `ansible` run per
command) and knows no inventory groups: a test module names its hosts with `hosts("filecap")`.
"""

import os

import yaml

with open(os.path.join(os.path.dirname(__file__), "..", "molecule.yml")) as _handle:
    GROUPS = dict((p["name"], p.get("groups", [])) for p in yaml.safe_load(_handle)["platforms"])


def hosts(group=None):
    """testinfra host specs of the platforms in `group` (all of them without one)."""
    return ["podman://" + name for name, groups in sorted(GROUPS.items()) if group is None or group in groups]


def groups_of(host):
    return GROUPS[host.backend.name]
