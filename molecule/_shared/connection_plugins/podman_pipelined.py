# Test-only connection for the molecule container scenarios (not part of the collection).
# containers.podman.podman does not pipeline: each task costs about five `podman exec` runs (mkdir, copy,
# chmod, run, rm), and one run costs ~0.12 s of CPU on the test machines. With pipelining a task is one run:
# the module goes to the remote Python on stdin.
from __future__ import annotations

DOCUMENTATION = """
name: podman_pipelined
short_description: run tasks in a local podman container, one podman exec per task
description:
  - Runs commands with C(podman exec -i) in the container named by the host, the module on stdin.
author: debugready.ptrace tests
options:
  remote_addr:
    description: the container's name or id (every host has an inventory_hostname, so no default)
    vars:
      - name: inventory_hostname
      - name: ansible_host
  remote_user:
    description: the user in the container (default, the image's)
    vars:
      - name: ansible_user
  podman_executable:
    description: the podman binary
    default: podman
    vars:
      - name: ansible_podman_executable
  pipelining:
    description: send modules on stdin instead of copying them first
    type: boolean
    default: true
    vars:
      - name: ansible_pipelining
"""

import subprocess

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection import ConnectionBase


class Connection(ConnectionBase):
    transport = "podman_pipelined"
    has_pipelining = True

    def _connect(self):
        self._connected = True
        return self

    def _podman(self, args, in_data=None):
        argv = [self.get_option("podman_executable")] + args
        try:
            proc = subprocess.run(argv, input=in_data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        except OSError as exc:
            raise AnsibleConnectionFailure("cannot run %s: %s" % (argv[0], exc)) from exc
        return proc.returncode, proc.stdout, proc.stderr

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        user = self.get_option("remote_user")
        args = ["exec", "-i"] + (["--user", user] if user else [])
        return self._podman(args + [self.get_option("remote_addr"), "/bin/sh", "-c", cmd], in_data)

    def _copy(self, src, dst):
        rc, out, err = self._podman(["cp", src, dst])
        if rc != 0:
            raise AnsibleConnectionFailure("podman cp %s %s failed (rc %d): %s" % (src, dst, rc, err))

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._copy(in_path, "%s:%s" % (self.get_option("remote_addr"), out_path))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._copy("%s:%s" % (self.get_option("remote_addr"), in_path), out_path)

    def close(self):
        self._connected = False
