"""A multi-platform scenario's platforms and their groups, read from its molecule.yml (one place), for testinfra.

testinfra's podman backend (`podman exec`) is much faster than its ansible backend (one `ansible` run per
command) and knows no inventory groups: a test module names its hosts with `hosts("filecap")`, so each test
runs only on the platforms of its case. molecule's verifier runs in the scenario's environment
(MOLECULE_SCENARIO_DIRECTORY).
"""

import os

import yaml

with open(os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "molecule.yml")) as _handle:
    GROUPS = dict((p["name"], p.get("groups", [])) for p in yaml.safe_load(_handle)["platforms"])


def hosts(group=None, exclude=None, backend="podman"):
    """testinfra host specs of the platforms in `group` (all of them without one) and not in `exclude`.

    backend "ansible" for tests that need host.ansible (a module run through the scenario's inventory).
    """
    names = sorted(name for name, groups in GROUPS.items()
                   if (group is None or group in groups) and (exclude is None or exclude not in groups))
    # an empty list would make testinfra run the module against the default (local) host: never that
    assert names, "no platform in group %r of %s" % (group, sorted(GROUPS))
    return ["%s://%s" % (backend, name) for name in names]


def groups_of(host):
    return GROUPS[host.backend.name]
