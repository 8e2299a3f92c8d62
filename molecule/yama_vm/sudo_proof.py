# -*- coding: utf-8 -*-
# Copyright (c) 2026, debugready.ptrace contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Item 3 of docs/yama-vm.md, run in the VM as root by sudo_profile.yml (ansible.builtin.script):
real commands only, one JSON document on stdout; the playbook asserts on it. One call instead of
a dozen module runs (each costs about 2 s under TCG).

  sudo_proof.py granted    after the sudo profile: tester straces every Apache worker through
                           sudo while real HTTP requests are served; outsider and plain strace
                           are refused
  sudo_proof.py reverted   after debug_access_state=absent
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

OUT = "/var/tmp/yama-vm-proof"


def run(*argv):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False)
    return {"rc": proc.returncode, "stdout": proc.stdout.strip(), "stderr": proc.stderr.strip()}


def read(path):
    with open(path, "r", encoding="utf-8", errors="replace") as handle:
        return handle.read()


def http_status():
    try:
        with urllib.request.urlopen("http://127.0.0.1/", timeout=10) as response:
            response.read()
            return response.status
    except (OSError, ValueError) as exc:
        return str(exc)


def common():
    return {
        "yama": read("/proc/sys/kernel/yama/ptrace_scope").strip(),
        "visudo": run("visudo", "-c"),
        "tester_groups": run("id", "-nG", "tester")["stdout"].split(),
        "workers": [int(pid) for pid in run("pgrep", "-x", "-u", "www-data", "apache2")["stdout"].split()],
    }


def attach_once(user, pid, sudo):
    """A one-shot attach as `user` (through `sudo -n` or plainly): refused at once, or detached after 2 s."""
    strace = ["strace", "-e", "trace=none", "-o", "/dev/null", "-p", str(pid)]
    if sudo:
        return run("sudo", "-u", user, "sudo", "-n", *strace)
    return run("sudo", "-u", user, "timeout", "-s", "INT", "2", *strace)


def trace_requests(workers):
    """tester runs `sudo -n strace -f` (all threads) on every worker in the background; once strace
    reports each one attached, three real requests; then SIGINT to timeout, which relays it to the
    sudos, which relay it to strace, which detaches. timeout's 60 s is a safety net only."""
    shutil.rmtree(OUT, ignore_errors=True)
    os.mkdir(OUT, 0o700)
    argv = ["timeout", "-s", "INT", "60", "sudo", "-u", "tester", "sudo", "-n", "strace", "-f", "-s", "200",
            "-e", "trace=network,read,write", "-o", OUT + "/trace"]
    for pid in workers:
        argv += ["-p", str(pid)]
    with open(OUT + "/err", "w", encoding="utf-8") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() - started < 30:
        if all("Process %d attached" % pid in read(OUT + "/err") for pid in workers):
            break
        time.sleep(0.1)
    attached_after = round(time.monotonic() - started, 1)
    statuses = [http_status() for request in range(3)]
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    exit_status = proc.wait(timeout=30)
    return {
        "command": argv[4:],
        "attached_after": attached_after,
        "http": statuses,
        "exit_status": exit_status,
        "stderr": read(OUT + "/err"),
        "trace": read(OUT + "/trace") if os.path.exists(OUT + "/trace") else "",
    }


def granted():
    result = common()
    try:
        pwd.getpwnam("outsider")
    except KeyError:
        run("useradd", "--create-home", "--shell", "/bin/bash", "outsider")
    workers = result["workers"]
    result["tester_sudo"] = trace_requests(workers) if workers else {}
    result["sudoreplay"] = run("sudoreplay", "-l", "user", "tester", "command", "/usr/bin/strace")["stdout"]
    if workers:
        result["outsider_sudo"] = attach_once("outsider", workers[0], sudo=True)
        result["outsider_plain"] = attach_once("outsider", workers[0], sudo=False)
        result["tester_plain"] = attach_once("tester", workers[0], sudo=False)
    result["http_after"] = http_status()
    return result


def reverted():
    result = common()
    result["debug_group"] = run("getent", "group", "debug")
    result["leftovers"] = sorted(
        os.path.join(directory, name)
        for directory in ("/etc/sudoers.d", "/etc/sysctl.d", "/var/lib")
        for name in os.listdir(directory) if "debugready" in name)
    if result["workers"]:
        result["tester_sudo"] = attach_once("tester", result["workers"][0], sudo=True)
    result["http_after"] = http_status()
    return result


def main():
    modes = {"granted": granted, "reverted": reverted}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.exit("usage: sudo_proof.py granted|reverted")
    json.dump(modes[sys.argv[1]](), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
