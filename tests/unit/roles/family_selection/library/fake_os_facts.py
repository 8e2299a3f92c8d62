# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only module: report the distribution facts of another OS (what setup would return there)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(os_family=dict(type="str", required=True),
                                              distribution=dict(type="str", required=True)),
                           supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts=dict(os_family=module.params["os_family"],
                                                       distribution=module.params["distribution"]))


if __name__ == "__main__":
    main()
