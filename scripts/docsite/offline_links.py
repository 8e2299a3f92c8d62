# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx extension of the docsite (scripts/build-docs): links to Ansible's own docsite without intersphinx.

The build machines have no internet, so Ansible's docsite cannot be read as an intersphinx inventory. The labels
of that docsite which antsibull-docs' pages (and our modules' M() references to other collections) point to are
linked to their published pages instead. Any other label that nothing defines still fails the build (-W).
"""

from __future__ import annotations

import re

from docutils import nodes

ANSIBLE_DOCSITE = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_DOCSITE_PAGES = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
    "action_plugins": "plugins/action.html",
}
OUR_LABELS = "ansible_collections.debugready.ptrace."


def ansible_docsite_page(target):
    """The page of Ansible's docsite that label `target` names, or None when it is not one of them."""
    if target in ANSIBLE_DOCSITE_PAGES:
        return ANSIBLE_DOCSITE_PAGES[target]
    # another collection's plugin, as antsibull-docs labels it: ansible_collections.NS.NAME.PLUGIN_TYPE
    found = re.fullmatch(r"ansible_collections\.(\w+)\.(\w+)\.(\w+)", target)
    if found and not target.startswith(OUR_LABELS):
        return "collections/%s/%s/%s.html" % found.groups()
    return None


def link_to_ansible_docsite(app, env, node, contnode):  # pylint: disable=unused-argument
    """Sphinx's missing-reference event: an external link for a label of Ansible's docsite, else None."""
    if node.get("reftype") != "ref":
        return None
    page = ansible_docsite_page(node.get("reftarget", ""))
    if page is None:
        return None
    link = nodes.reference("", "", internal=False, refuri=ANSIBLE_DOCSITE + page)
    link += contnode
    return link


def setup(app):
    app.connect("missing-reference", link_to_ansible_docsite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
