#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: readiness_report
short_description: Write the readiness report files on the controller, without a module execution
version_added: 0.1.0
description:
  - Writes each of O(files) into the directory O(dest) on the Ansible controller, atomically (a temporary
    file in O(dest), then a rename), and creates O(dest) when missing.
  - Runs entirely in the controller's Ansible process (an action plugin), so a report costs no module
    execution; the C(debugready.ptrace.check) playbook uses it once per run.
  - A file whose content is unchanged is not rewritten.
author:
  - debugready.ptrace maintainers (@debugready)
extends_documentation_fragment:
  - debugready.ptrace.attributes
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    support: full
    details: Reports what would be written; use O(ignore:check_mode=false) on the task to write the report in a C(--check) run.
  diff_mode:
    support: none
  platform:
    details: Runs on the controller whatever the target host is.
options:
  dest:
    description: Absolute directory on the controller.
    type: path
    required: true
  files:
    description:
      - File name (a plain name, no directories) to text.
    type: dict
    required: true
  mode:
    description: Octal mode of the files written.
    type: str
    default: "0644"
seealso:
  - name: The check playbook and its report
    description: What the report contains.
    link: https://github.com/debugready/ptrace/blob/main/docs/user-guide.md
"""

EXAMPLES = r"""
- name: Write the fleet report
  debugready.ptrace.readiness_report:
    dest: "{{ playbook_dir }}/debugready-report"
    files:
      report.md: "{{ lookup('ansible.builtin.template', 'templates/report.md.j2') }}"
      report.json: "{{ rows | to_nice_json }}"
  run_once: true
  check_mode: false
"""

RETURN = r"""
dest:
  description: The directory written to.
  returned: always
  type: str
  sample: /home/ops/debugready-report
written:
  description: The files whose content changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [/home/ops/debugready-report/report.md]
"""
