# SPDX-License-Identifier: GPL-3.0-or-later
"""Measure debugready.ptrace's check and converge against the baseline, in podman Apache containers.

Run it through bench/run (which sets up podman, the venvs and the image); see docs/benchmarks.md.
Writes one JSON file of raw per-run numbers; bench/report turns it into the Markdown page and the plot.

Every container it creates is named drbench-* and removed at the end (--keep keeps them).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
IMAGE = os.environ.get("DEBUGREADY_IMAGE", "localhost/debugready-apache:bookworm")
SSH_IMAGE = IMAGE + "-sshd"  # tests/images/build-image --sshd: the same image plus openssh-server
SSH_USER = "deploy"
PREFIX = "drbench-"
WRAPPER = "/usr/local/bin/drbench-python"
LOG_MOUNT = "/drbench-log"
TARGET_COLLECTION = "/opt/drbench"
BASELINE = os.path.join(HERE, "baseline", "check.yml")
FLOOR = os.path.join(HERE, "playbooks", "floor.yml")
CONVERGE_VARS = {"debug_access_profile": "sudo", "debug_access_members": ["alice"]}
# What the check is asked to trace: the same question as the baseline's `sudo -l -U alice` and `ps`.
CHECK_VARS = {"debugready_trace": [{"user": "alice", "process": "apache2", "process_user": "www-data", "via": "sudo"}]}

CREATED = []  # container names to remove at exit


def say(message):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def sh(argv, check=True, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (rc %d): %s%s" % (" ".join(argv), proc.returncode, proc.stdout, proc.stderr))
    return proc


def podman_exec(name, script, check=True):
    return sh(["podman", "exec", name, "sh", "-c", script], check=check)


def remove_containers(names):
    if names:
        sh(["podman", "rm", "-f", "-t", "0"] + list(names), check=False)


# ---- the sudo profile's drop-in, rendered by the collection itself ---------------------------------

def sudo_profile_dropin():
    """The text the sudo profile's sudoers_grant writes (no window), so a shell-prepared host is compliant."""
    sys.path.insert(0, os.environ.get("COLLECTIONS_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(REPO))))
    from ansible_collections.debugready.ptrace.plugins.module_utils import _sudoers_write  # noqa: E402 pylint: disable=import-outside-toplevel
    return _sudoers_write.render(["%debug"], [("/usr/bin/strace", []), ("/usr/bin/gdb", [])], runas="root",
                                 nopasswd=True, log_output=True)


# ---- containers -----------------------------------------------------------------------------------

PREPARE_USERS = r"""
set -e
i=0
until pgrep -x -u www-data apache2 >/dev/null; do
  i=$((i+1)); [ $i -lt 100 ] || { echo "apache did not start" >&2; exit 1; }; sleep 0.1
done
id alice >/dev/null 2>&1 || useradd -m -s /bin/sh alice
id dave >/dev/null 2>&1 || useradd -m -s /bin/sh dave
cat >%(wrapper)s <<'EOF'
#!/bin/sh
# drbench: one line per python start, i.e. per remote module execution (no pipelining with podman)
printf '%%s\n' "$*" >>%(log)s
exec /usr/bin/python3 "$@"
EOF
chmod 0755 %(wrapper)s
"""

PREPARE_COMPLIANT = r"""
set -e
getent group debug >/dev/null || groupadd debug
usermod -a -G debug alice
install -o root -g root -m 0440 %(mount)s/debugready-sudo /etc/sudoers.d/debugready-sudo
visudo -c >/dev/null
"""


def done_with(args, names):
    """Remove these containers now (unless --keep), to free the machine for the next measurement."""
    if args.keep:
        return
    remove_containers(names)
    for name in names:
        CREATED.remove(name)


# The SSH user of the fleet over SSH: key only, sudo without a password and without a tty (AWX's usual machine
# credential, as tests/ee sets it up); the public key is in the log mount.
PREPARE_SSH = r"""
set -e
id %(user)s >/dev/null 2>&1 || useradd -m -s /bin/sh %(user)s
printf '%%s\n' '%(user)s ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/%(user)s
chmod 0440 /etc/sudoers.d/%(user)s
visudo -c >/dev/null
install -d -m 0700 -o %(user)s -g %(user)s /home/%(user)s/.ssh
install -m 0600 -o %(user)s -g %(user)s %(mount)s/id_bench.pub /home/%(user)s/.ssh/authorized_keys
mkdir -p /run/sshd
/usr/sbin/sshd
"""


def start_container(name, logdir, pids_limit=None, image=IMAGE):
    remove_containers([name])
    argv = ["podman", "run", "-d", "--name", name, "--hostname", name, "--cap-add", "SYS_PTRACE",
            "-v", "%s:%s" % (logdir, LOG_MOUNT)]
    if pids_limit is not None:
        argv += ["--pids-limit", str(pids_limit)]
    CREATED.append(name)
    sh(argv + [image])


def prepare(name, compliant, ssh=False):
    """Users alice and dave (as molecule's prepare does) and the counting wrapper; `compliant`: also the
    debug group with alice and the sudo profile's drop-in, i.e. what the role's sudo profile leaves; `ssh`:
    also the SSH user and a running sshd."""
    script = PREPARE_USERS % {"wrapper": WRAPPER, "log": "%s/%s.log" % (LOG_MOUNT, name)}
    if compliant:
        script += PREPARE_COMPLIANT % {"mount": LOG_MOUNT}
    if ssh:
        script += PREPARE_SSH % {"user": SSH_USER, "mount": LOG_MOUNT}
    podman_exec(name, script)


def start_many(names, logdir, compliant, pids_limit=None, ssh=False):
    for name in names:
        start_container(name, logdir, pids_limit, image=SSH_IMAGE if ssh else IMAGE)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: prepare(n, compliant, ssh), names))


# ---- inventories and playbook runs ------------------------------------------------------------------

def write_inventory(path, names, count):
    """[bench] group over the containers; `count`: the python wrapper that logs each module start."""
    lines = ["[bench]"] + list(names) + [
        "", "[bench:vars]", "ansible_connection=containers.podman.podman",
        "ansible_python_interpreter=%s" % (WRAPPER if count else "/usr/bin/python3"), ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    return path


def write_ssh_inventory(path, addresses, count, key):
    """[bench] group over `addresses` ([(name, ip)]) reached over SSH as SSH_USER with become (sudo). The
    variant's settings (pipelining, ControlPersist) come from the environment of each run, see ssh_variant_env."""
    lines = ["[bench]"] + ["%s ansible_host=%s" % pair for pair in addresses] + [
        "", "[bench:vars]", "ansible_connection=ansible.builtin.ssh", "ansible_user=%s" % SSH_USER,
        "ansible_ssh_private_key_file=%s" % key,
        # throw-away containers: their host keys are neither checked nor recorded in ~/.ssh/known_hosts
        "ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR'",
        "ansible_become=true", "ansible_become_method=ansible.builtin.sudo",
        "ansible_python_interpreter=%s" % (WRAPPER if count else "/usr/bin/python3"), ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    return path


# name: (pipelining, ControlPersist). ControlPersist on is Ansible's default ssh_args; off spells out no multiplexing
# (without "ControlPersist" in the arguments Ansible adds no ControlPath). -C in both: only multiplexing differs.
SSH_VARIANTS = {
    "plain": (False, False),
    "pipelining": (True, False),
    "controlpersist": (False, True),
    "pipelining+controlpersist": (True, True),
}
SSH_ARGS_PERSIST = "-C -o ControlMaster=auto -o ControlPersist=60s"
SSH_ARGS_NO_PERSIST = "-C -o ControlMaster=no -o ControlPath=none"


def ssh_variant_env(variant, control_dir):
    """The environment one variant's runs get (recorded in the results as it was set)."""
    pipelining, persist = SSH_VARIANTS[variant]
    env = {"ANSIBLE_PIPELINING": "True" if pipelining else "False",
           "ANSIBLE_SSH_ARGS": SSH_ARGS_PERSIST if persist else SSH_ARGS_NO_PERSIST,
           "ANSIBLE_HOST_KEY_CHECKING": "False"}
    if persist:
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control_dir
    return env


def close_masters(control_dir):
    """Stop the ControlPersist masters a run left, so that every run starts its connections afresh (a master
    kept from the previous repetition would make the later runs cheaper than a user's first run). Returns how
    many there were."""
    if not os.path.isdir(control_dir):
        return 0
    socks = os.listdir(control_dir)
    for sock in socks:
        sh(["ssh", "-o", "ControlPath=%s" % os.path.join(control_dir, sock), "-O", "exit", "drbench"], check=False)
    return len(socks)


def verify_masters(result, persist, hosts):
    """ControlPersist leaves masters after a run, at most one per host, and none without it. Raises BenchFailure
    when the variant did not run as it is labelled. (Fewer masters than hosts is ControlPersist=60s, Ansible's
    default, at work: in a run longer than a minute the first hosts' masters sit idle long enough to exit.)"""
    masters = result["ssh_masters"]
    if not (1 <= masters <= len(hosts) if persist else masters == 0):
        raise BenchFailure("ControlPersist %s, yet the run left %d master connection(s) for %d host(s), see %s" % (
            "on" if persist else "off", result["ssh_masters"], len(hosts), result["log"]))


class BenchFailure(Exception):
    """A playbook that must succeed on every host did not: the bench run fails rather than report it."""


def verify_check(result, report_json, hosts):
    """The check succeeded on every host of `hosts` and found each ready (they are all compliant): the playbook
    exited 0 and its report.json lists exactly these hosts, all ready. Raises BenchFailure otherwise."""
    if result["rc"] != 0:
        raise BenchFailure("the check exited %d, see %s" % (result["rc"], result["log"]))
    try:
        with open(report_json) as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        raise BenchFailure("no readable report of the check (%s), see %s" % (exc, result["log"])) from exc
    rows = {row.get("host"): row for row in report.get("hosts", [])}
    if set(rows) != set(hosts):
        raise BenchFailure("the check reported hosts %s instead of %s, see %s" % (
            sorted(rows), sorted(hosts), result["log"]))
    not_ready = sorted(h for h, row in rows.items() if row.get("ready") is not True)
    if not_ready:
        raise BenchFailure("compliant host(s) %s not ready: %s, see %s" % (
            ", ".join(not_ready), "; ".join("%s" % rows[h].get("not_ready_because") for h in not_ready),
            result["log"]))


def verify_pipelining(result, pipelining):
    """With the counting wrapper, the interpreter's arguments show how the module arrived: with pipelining on
    stdin (no AnsiballZ_*.py argument, counted as "other"), without it as a file. Raises BenchFailure when the
    variant did not run as it is labelled."""
    counts = result.get("remote_modules")
    if not counts:
        return
    named = sum(n for module, n in counts.items() if module != "other")
    if (named if pipelining else counts.get("other", 0)):
        raise BenchFailure("pipelining %s, yet the targets started python with %s, see %s" % (
            "on" if pipelining else "off", counts, result["log"]))


def module_counts(logdir, names):
    """{module: count} from the wrappers' logs of these hosts since the last call (the logs are then emptied)."""
    counts = {}
    for name in names:
        path = os.path.join(logdir, name + ".log")
        try:
            with open(path, "r") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        with open(path, "w"):
            pass
        for line in lines:
            match = re.search(r"AnsiballZ_([A-Za-z0-9_]+)\.py", line)
            key = match.group(1) if match else "other"
            counts[key] = counts.get(key, 0) + 1
    return counts


def _tree_rss_kib(root_pid, page_kib):
    """Sum of the RSS of root_pid and all its descendants (one pass over /proc)."""
    children, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                text = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page_kib
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class Sampler(threading.Thread):
    """Peak summed RSS of a process tree, sampled every `interval` seconds."""

    def __init__(self, pid, interval):
        super(Sampler, self).__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()
        self.page_kib = os.sysconf("SC_PAGE_SIZE") // 1024

    def run(self):
        while not self.done.wait(self.interval):
            try:
                self.peak = max(self.peak, _tree_rss_kib(self.pid, self.page_kib))
            except (OSError, ValueError):
                pass


def run_playbook(args, playbook, inventory, extra_vars, log_path, forks=None, profile=False, env_extra=None):
    """Run one ansible-playbook; its wall time, the CPU time and max RSS of its process tree (wait4)."""
    argv = ["ansible-playbook", "-i", inventory, playbook, "-e", "debugready_hosts=bench"]
    for item in extra_vars:
        argv += ["-e", json.dumps(item) if isinstance(item, dict) else item]
    if forks:
        argv += ["-f", str(forks)]
    env = dict(os.environ)
    if profile:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
    else:
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    env.pop("ANSIBLE_DEBUG", None)
    env.update(env_extra or {})
    with open(log_path, "w") as log:
        prefix = "".join("%s=%s " % (k, shlex.quote(v)) for k, v in sorted((env_extra or {}).items()))
        log.write("$ %s%s\n" % (prefix, " ".join(argv)))
        log.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=os.path.dirname(log_path))
        sampler = None
        if args.rss_interval > 0:
            sampler = Sampler(proc.pid, args.rss_interval)
            sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.done.set()
            sampler.join()
    result = {"wall_s": round(wall, 3), "user_s": round(usage.ru_utime, 3), "sys_s": round(usage.ru_stime, 3),
              "max_rss_kib": usage.ru_maxrss, "tree_peak_rss_kib": sampler.peak if sampler else None,
              "rc": proc.returncode, "log": log_path}
    if proc.returncode != 0:
        say("WARNING: %s exited %d, see %s" % (os.path.basename(playbook), proc.returncode, log_path))
    if profile:
        result["profile_tasks"] = profile_tasks_lines(log_path)
    return result


def profile_tasks_lines(log_path):
    """The per-task times profile_tasks prints at the end: [[task, seconds], ...]."""
    out = []
    with open(log_path, "r") as handle:
        for line in handle:
            match = re.match(r"^(.*?) -{2,} (\d+\.\d+)s\s*$", line.rstrip("\n"))
            if match:
                out.append([match.group(1).strip(), float(match.group(2))])
    return out


class Case(object):
    """One playbook measured repeatedly: runs, module counts, the profile run."""

    def __init__(self, label, playbook, extra_vars, forks=None, env=None, after_run=None):
        """`env`: set for its runs (and recorded); `after_run(result)`: called after each run (may raise)."""
        self.label, self.playbook, self.extra_vars, self.forks = label, playbook, extra_vars, forks
        self.env, self.after_run = env, after_run
        self.data = {"playbook": os.path.relpath(playbook, REPO) if os.path.isabs(playbook) else playbook,
                     "extra_vars": extra_vars, "forks": forks, "runs": []}
        if env:
            self.data["env"] = env

    def run(self, args, ctx, inventory, hosts, profile=False):
        log = os.path.join(ctx["logs"], "%s-%d%s.log" % (self.label, len(self.data["runs"]) + 1,
                                                         "-profile" if profile else ""))
        module_counts(ctx["modlog"], hosts)
        result = run_playbook(args, self.playbook, inventory, self.extra_vars, log, self.forks, profile, self.env)
        if args.count:
            counts = module_counts(ctx["modlog"], hosts)
            result["remote_modules"] = counts
            result["remote_module_executions"] = sum(counts.values())
        if profile:
            self.data["profile_run"] = result
        else:
            self.data["runs"].append(result)
        say("%-22s %6.2fs  modules=%s%s" % (self.label + (" (profile)" if profile else ""), result["wall_s"],
                                            result.get("remote_module_executions"),
                                            "" if result["rc"] == 0 else "  rc=%d" % result["rc"]))
        if self.after_run:
            self.after_run(result)
        return result


def loadavg():
    with open("/proc/loadavg") as handle:
        return [float(x) for x in handle.read().split()[:3]]


# ---- the measurements -------------------------------------------------------------------------------

def measure_converge_and_one_host(args, ctx, results):
    """First converge of fresh containers; then, on the first one (now compliant): floor, check, baseline
    and idempotent converge, interleaved in each repetition."""
    names = ["%sone" % PREFIX] + ["%sfresh-%d" % (PREFIX, i) for i in range(2, args.fresh_reps + 1)]
    say("starting %d fresh container(s) for the first converge" % len(names))
    start_many(names, ctx["modlog"], compliant=False)
    first = Case("converge-first", "debugready.ptrace.converge", [CONVERGE_VARS])
    for name in names:
        inventory = write_inventory(os.path.join(ctx["work"], "inv-%s.ini" % name), [name], args.count)
        first.run(args, ctx, inventory, [name])
    done_with(args, names[1:])
    results["converge_first"] = first.data

    host = names[0]
    inventory = write_inventory(os.path.join(ctx["work"], "inv-one.ini"), [host], args.count)
    cases = [
        Case("floor", FLOOR, []),
        Case("check", "debugready.ptrace.check", [CHECK_VARS, "debugready_report_dir=%s/report-check" % ctx["work"]]),
        Case("baseline", BASELINE, ["debugready_report_dir=%s/report-baseline" % ctx["work"]]),
        Case("converge-idempotent", "debugready.ptrace.converge", [CONVERGE_VARS]),
    ]
    results["one_host"] = {"host": host, "load_before": loadavg()}
    for case in cases:  # warm-up, with profile_tasks: per-task times; not in the statistics
        case.run(args, ctx, inventory, [host], profile=True)
    for rep in range(args.reps):
        order = cases[rep % len(cases):] + cases[:rep % len(cases)]
        for case in order:
            case.run(args, ctx, inventory, [host])
    results["one_host"]["load_after"] = loadavg()
    for case in cases:
        results["one_host"][case.label.replace("-", "_")] = case.data
    done_with(args, [host])


def measure_fleet(args, ctx, results):
    largest = max(args.sizes)
    names = ["%sfleet-%02d" % (PREFIX, i) for i in range(1, largest + 1)]
    say("starting %d compliant fleet container(s)" % largest)
    t0 = time.perf_counter()
    start_many(names, ctx["modlog"], compliant=True)
    say("fleet ready in %.1fs" % (time.perf_counter() - t0))
    fleet = {"forks": args.forks, "load_before": loadavg(), "sizes": {}}
    for size in sorted(args.sizes):
        hosts = names[:size]
        inventory = write_inventory(os.path.join(ctx["work"], "inv-fleet-%d.ini" % size), hosts, args.count)
        reps = args.large_reps if size >= args.large else args.fleet_reps
        cases = [
            Case("fleet%d-check" % size, "debugready.ptrace.check",
                 [CHECK_VARS, "debugready_report_dir=%s/report-fleet-check" % ctx["work"]], args.forks),
            Case("fleet%d-baseline" % size, BASELINE,
                 ["debugready_report_dir=%s/report-fleet-baseline" % ctx["work"]], args.forks),
        ]
        for rep in range(reps):
            for case in (cases if rep % 2 == 0 else cases[::-1]):
                case.run(args, ctx, inventory, hosts)
        fleet["sizes"][str(size)] = {"hosts": size, "reps": reps, "check": cases[0].data, "baseline": cases[1].data}
    fleet["load_after"] = loadavg()
    results["fleet"] = fleet
    done_with(args, names)


def measure_fleet_ssh(args, ctx, results):
    """The fleet over SSH (as deploy, become with sudo): for each size, the check and a one-task ping playbook
    under each variant of pipelining and ControlPersist, all interleaved in each repetition. The check must
    succeed, and find every (compliant) host ready, in every run: otherwise the bench fails."""
    largest = max(args.sizes)
    names = ["%sssh-%03d" % (PREFIX, i) for i in range(1, largest + 1)]
    key = os.path.join(ctx["work"], "id_bench")
    sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "drbench", "-f", key])
    shutil.copy(key + ".pub", os.path.join(ctx["modlog"], "id_bench.pub"))
    say("starting %d compliant fleet container(s) with sshd (%s)" % (largest, SSH_IMAGE))
    t0 = time.perf_counter()
    start_many(names, ctx["modlog"], compliant=True, ssh=True)
    addresses = [(n, sh(["podman", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", n]).stdout.strip())
                 for n in names]
    if not all(ip for _n, ip in addresses):  # e.g. rootless podman without a bridge
        raise BenchFailure("no address on podman's bridge for %s" % ", ".join(n for n, ip in addresses if not ip))
    say("fleet ready in %.1fs" % (time.perf_counter() - t0))
    fleet = {"forks": args.forks, "connection": "ansible.builtin.ssh", "user": SSH_USER, "become": "sudo",
             "image": SSH_IMAGE, "variants": {}, "variant_order": list(args.ssh_variants), "sizes": {}}
    for variant in args.ssh_variants:
        pipelining, persist = SSH_VARIANTS[variant]
        fleet["variants"][variant] = {"pipelining": pipelining, "control_persist": persist,
                                      "env": ssh_variant_env(variant, "DIR")}
    # ControlPath sockets: a short directory of their own (a Unix socket path has at most 107 bytes)
    sockets = tempfile.mkdtemp(prefix="drbcp-")
    try:
        measure_fleet_ssh_runs(args, ctx, fleet, names, addresses, key, sockets)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    results["fleet_ssh"] = fleet
    done_with(args, names)


def measure_fleet_ssh_runs(args, ctx, fleet, names, addresses, key, sockets):
    variants = args.ssh_variants
    # Not timed: every host answers over SSH with sudo under every variant before anything is measured.
    inventory = write_ssh_inventory(os.path.join(ctx["work"], "inv-ssh-all.ini"), addresses, args.count, key)
    for variant in variants:
        control = os.path.join(sockets, "warm")
        os.makedirs(control, exist_ok=True)
        warm = run_playbook(args, FLOOR, inventory, [],
                            os.path.join(ctx["logs"], "ssh-warmup-%s.log" % variant), args.forks,
                            env_extra=ssh_variant_env(variant, control))
        close_masters(control)
        if warm["rc"] != 0:
            raise BenchFailure("the ping over SSH (%s) failed before the measurement, see %s" % (variant, warm["log"]))
    module_counts(ctx["modlog"], names)
    fleet["load_before"] = loadavg()
    for size in sorted(args.sizes):
        hosts = names[:size]
        inventory = write_ssh_inventory(os.path.join(ctx["work"], "inv-ssh-%d.ini" % size), addresses[:size],
                                        args.count, key)
        reps = args.large_reps if size >= args.large else args.fleet_reps
        cases, entry = [], {"hosts": size, "reps": reps, "variants": {}}
        for number, variant in enumerate(variants):
            tag = "ssh%d-%s" % (size, variant)
            control = os.path.join(sockets, "%d-%d" % (size, number))
            os.makedirs(control, exist_ok=True)
            env = ssh_variant_env(variant, control)
            report_dir = os.path.join(ctx["work"], "report-" + tag)

            def after_check(result, report_dir=report_dir, control=control, hosts=hosts, variant=variant):
                result["ssh_masters"] = close_masters(control)
                report = os.path.join(report_dir, "report.json")
                verify_check(result, report, hosts)
                os.remove(report)  # the next run must write its own
                verify_pipelining(result, SSH_VARIANTS[variant][0])
                verify_masters(result, SSH_VARIANTS[variant][1], hosts)

            def after_ping(result, control=control, hosts=hosts, variant=variant):
                result["ssh_masters"] = close_masters(control)
                if result["rc"] != 0:
                    raise BenchFailure("the ping exited %d, see %s" % (result["rc"], result["log"]))
                verify_pipelining(result, SSH_VARIANTS[variant][0])
                verify_masters(result, SSH_VARIANTS[variant][1], hosts)

            check = Case(tag + "-check", "debugready.ptrace.check",
                         [CHECK_VARS, "debugready_report_dir=%s" % report_dir], args.forks, env, after_check)
            ping = Case(tag + "-ping", FLOOR, [], args.forks, env, after_ping)
            cases += [check, ping]
            entry["variants"][variant] = {"check": check.data, "ping": ping.data}
        for rep in range(reps):
            shift = rep % len(cases)
            for case in cases[shift:] + cases[:shift]:
                case.run(args, ctx, inventory, hosts)
        fleet["sizes"][str(size)] = entry
    fleet["load_after"] = loadavg()


# ---- on target ------------------------------------------------------------------------------------

SPAWN = r"""
set -e
users="alice dave"
for i in 1 2 3 4 5 6; do
  id svc$i >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin svc$i
  users="$users svc$i"
done
per=$(( %(procs)d / 8 ))
for u in $users; do
  i=0
  while [ $i -lt $per ]; do
    setpriv --reuid=$u --regid=$u --clear-groups sleep infinity </dev/null >/dev/null 2>&1 &
    i=$((i+1))
  done
done
"""

TARGET_CONFIGS = [
    ("default", []),
    ("no tool versions", ["--no-versions"]),
    ("no sudoers validation", ["--no-validate"]),
    ("no versions, no validation", ["--no-versions", "--no-validate"]),
    ("the role's call (yama,container,tools,sudoers,perf; no versions, no validation)",
     ["--subset", "yama,container,tools,sudoers,perf", "--no-versions", "--no-validate"]),
] + [("subset %s" % s, ["--subset", s])
     for s in ("yama", "kernel", "lsm", "container", "tools", "capabilities", "sudoers", "perf", "windows")]
# ptrace_facts with its trace option (verdicts folded into the facts call), when the collection has it.
FACTS_WITH_TRACE = ("default + trace (alice via sudo, every apache2 worker of www-data)",
                    ["--trace-json", json.dumps(CHECK_VARS["debugready_trace"])])
TRACE_CHECK = ("trace_check alice via sudo, every apache2 worker of www-data",
               ["--trace-check", "--user", "alice", "--process", "apache2", "--process-user", "www-data",
                "--via", "sudo"])


def sudoers_files(count):
    """{name: text} of `count` generated drop-ins: aliases, Defaults, rules; every 20th grants a debugger."""
    files = {}
    for n in range(count):
        svc = "svc%d" % (n % 6 + 1)
        lines = [
            "# generated by bench/measure.py: a large, valid sudoers tree",
            "Cmnd_Alias BENCH%03d_SVC = /usr/bin/systemctl restart app%03d, /usr/bin/systemctl status app%03d" % (
                n, n, n),
            "User_Alias BENCH%03d_OPS = %s, dave" % (n, svc),
            "Defaults:BENCH%03d_OPS !lecture" % n,
            "BENCH%03d_OPS ALL=(root) NOPASSWD: BENCH%03d_SVC" % (n, n),
            "%%grp%03d ALL=(%s) /usr/bin/journalctl -u app%03d, /usr/bin/kill" % (n, svc, n),
        ]
        if n % 20 == 0:
            lines.append("%s ALL=(www-data) NOPASSWD: /usr/bin/gdb -p *, /usr/bin/strace" % svc)
        files["bench-%03d" % n] = "\n".join(lines) + "\n"
    return files


def measure_target(args, ctx, results):
    name = "%starget" % PREFIX
    say("on-target: %d extra processes, %d sudoers files" % (args.target_procs, args.target_sudoers))
    start_container(name, ctx["modlog"], pids_limit=-1)
    prepare(name, compliant=True)
    gen = os.path.join(ctx["modlog"], "sudoers-gen")
    os.makedirs(gen, exist_ok=True)
    for fname, text in sudoers_files(args.target_sudoers).items():
        with open(os.path.join(gen, fname), "w") as handle:
            handle.write(text)
    podman_exec(name, "install -o root -g root -m 0440 %s/sudoers-gen/* /etc/sudoers.d/ && visudo -c >/dev/null"
                % LOG_MOUNT)
    podman_exec(name, SPAWN % {"procs": args.target_procs})
    stage = os.path.join(ctx["work"], "stage")
    coll = os.path.join(stage, "ansible_collections", "debugready", "ptrace")
    shutil.copytree(os.path.join(REPO, "plugins"), os.path.join(coll, "plugins"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.makedirs(os.path.join(coll, "bench"))
    shutil.copy(os.path.join(HERE, "facts_on_target.py"), os.path.join(coll, "bench"))
    podman_exec(name, "rm -rf %s" % TARGET_COLLECTION)
    sh(["podman", "cp", stage, "%s:%s" % (name, TARGET_COLLECTION)])
    script = "%s/ansible_collections/debugready/ptrace/bench/facts_on_target.py" % TARGET_COLLECTION
    host = json.loads(podman_exec(name, "python3 - <<'EOF'\n"
                                        "import os, json, subprocess\n"
                                        "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
                                        "files = os.listdir('/etc/sudoers.d')\n"
                                        "workers = subprocess.run(['pgrep', '-x', '-u', 'www-data', 'apache2'],"
                                        " capture_output=True, text=True).stdout.split()\n"
                                        "print(json.dumps({'processes': len(pids), 'sudoers_d_files': len(files),"
                                        " 'apache_workers': len(workers)}))\nEOF").stdout)
    say("on-target host: %s" % host)
    target = {"host": host, "runs_per_config": args.target_runs, "configs": [], "profiles": {}}
    for label, extra in TARGET_CONFIGS + [FACTS_WITH_TRACE, TRACE_CHECK]:
        out = podman_exec(name, "python3 %s --runs %d %s" % (script, args.target_runs, " ".join(
            shlex.quote(e) for e in extra))).stdout
        data = json.loads(out.strip().splitlines()[-1])
        if data.get("unsupported"):
            say("%s: skipped (%s)" % (label, data["unsupported"]))
            continue
        data.update({"label": label, "args": extra})
        target["configs"].append(data)
        say("%-60s median %7.1f ms (min %.1f, max %.1f), peak RSS %d KiB" % (
            label[:60], data["median_ms"], data["min_ms"], data["max_ms"], data["peak_rss_kib"]))
    measured = set(c["label"] for c in target["configs"])
    for label, extra in [c for c in (TARGET_CONFIGS[0], FACTS_WITH_TRACE, TRACE_CHECK) if c[0] in measured]:
        out = podman_exec(name, "python3 %s --runs 3 --profile 30 %s" % (script, " ".join(
            shlex.quote(e) for e in extra))).stdout
        target["profiles"][label] = json.loads(out.strip().splitlines()[-1]).get("profile")
    results["on_target"] = target
    done_with(args, [name])


# ---- machine description ---------------------------------------------------------------------------

def first_line(argv):
    try:
        return sh(argv, check=False).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return None


def machine():
    info = {"nproc": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    with open("/proc/cpuinfo") as handle:
        models = re.findall(r"^model name\s*:\s*(.*)$", handle.read(), re.MULTILINE)
    info["cpu"] = models[0] if models else platform.machine()
    with open("/proc/meminfo") as handle:
        info["ram_gib"] = round(int(re.search(r"MemTotal:\s+(\d+)", handle.read()).group(1)) / 1048576, 1)
    try:
        with open("/etc/os-release") as handle:
            info["os"] = re.search(r'^PRETTY_NAME="?([^"\n]*)', handle.read(), re.MULTILINE).group(1)
    except (OSError, AttributeError):
        info["os"] = None
    return info


def versions():
    out = {"podman": first_line(["podman", "--version"]),
           "ansible_core": first_line(["ansible", "--version"]),
           "image": IMAGE}
    pkg = sh([sys.executable, "-m", "pip", "show", "ansible"], check=False).stdout
    match = re.search(r"^Version: (\S+)", pkg, re.MULTILINE)
    out["ansible_package"] = match.group(1) if match else None
    commit = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = sh(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], check=False).stdout.strip()
    out["collection_commit"] = commit + ("-dirty" if dirty else "")
    return out


# ---- main --------------------------------------------------------------------------------------------

def new_work_dir(keep=3):
    """A fresh directory for this run's logs, inventories and reports; only the last `keep` runs are kept."""
    base = os.path.join(os.environ.get("CACHE") or tempfile.gettempdir(), "bench-work",
                        os.path.basename(os.environ.get("COLLECTIONS_ROOT", "default")))
    os.makedirs(base, exist_ok=True)
    old = sorted((os.path.getmtime(os.path.join(base, d)), d) for d in os.listdir(base) if d.startswith("run-"))
    for dummy, name in old[:max(0, len(old) - keep + 1)]:
        shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    return tempfile.mkdtemp(prefix="run-%s-" % time.strftime("%Y%m%dT%H%M%S"), dir=base)


PARTS = {"target": ["on_target"], "one_host": ["one_host", "converge_first"], "fleet": ["fleet", "fleet_ssh"]}


def merged(previous, fresh, load_before, load_after):
    """`previous` with the parts measured in `fresh` replaced; meta.remeasured records each one's provenance, so
    the page never presents figures of two runs as one."""
    out = dict(previous)
    out["meta"] = dict(previous["meta"])
    remeasured = dict(out["meta"].get("remeasured") or {})
    for part in (k for keys in PARTS.values() for k in keys):
        if part in fresh:
            out[part] = fresh[part]
            remeasured[part] = {
                "started_utc": fresh["meta"]["started_utc"], "duration_s": fresh["meta"]["duration_s"],
                "collection_commit": fresh["meta"]["versions"]["collection_commit"],
                "machine": fresh["meta"]["machine"], "load_before": load_before, "load_after": load_after,
                "settings": fresh["meta"]["settings"]}
    out["meta"]["remeasured"] = remeasured
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: sizes 1,2, one repetition of everything")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the one-host playbooks")
    parser.add_argument("--fleet-reps", type=int, default=5, help="repetitions of fleet sizes below --large")
    parser.add_argument("--large", type=int, default=25, help="fleet sizes from this one up use --large-reps")
    parser.add_argument("--large-reps", type=int, default=3)
    parser.add_argument("--fresh-reps", type=int, default=3, help="first converges, each of a fresh container")
    parser.add_argument("--sizes",
                        help="fleet sizes, comma-separated (default 1,10,25,50; with --connection ssh 1,10,25,50,100)")
    parser.add_argument("--connection", choices=("podman", "ssh"), default="podman",
                        help="the fleet part's connection: podman (the default), or ssh: containers with sshd, "
                             "the check and a ping under each --ssh-variants (instead of check and baseline)")
    parser.add_argument("--ssh-variants", default=",".join(SSH_VARIANTS),
                        help="with --connection ssh, comma-separated among %s" % ", ".join(SSH_VARIANTS))
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--target-procs", type=int, default=2000)
    parser.add_argument("--target-sudoers", type=int, default=200)
    parser.add_argument("--target-runs", type=int, default=15, help="runs per on-target configuration")
    parser.add_argument("--rss-interval", type=float, default=0.5,
                        help="seconds between samples of the playbook's process tree RSS (0: off)")
    parser.add_argument("--no-count", dest="count", action="store_false",
                        help="use /usr/bin/python3 directly instead of the wrapper that counts module runs")
    parser.add_argument("--only", default="target,one_host,fleet",
                        help="comma-separated parts to run: target, one_host (with converge), fleet")
    parser.add_argument("--keep", action="store_true", help="keep the containers (for debugging)")
    parser.add_argument("--update", action="store_true",
                        help="re-measure only the --only parts into the existing --out file: the other parts "
                             "stay, and meta.remeasured says when, at which commit and under what load each "
                             "re-measured part was taken")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps = args.fleet_reps = args.large_reps = args.fresh_reps = 1
        args.sizes = "1,2"
        args.target_runs = min(args.target_runs, 5)
    if args.sizes is None:
        args.sizes = "1,10,25,50,100" if args.connection == "ssh" else "1,10,25,50"
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.ssh_variants = [v for v in args.ssh_variants.split(",") if v]
    unknown = [v for v in args.ssh_variants if v not in SSH_VARIANTS]
    if unknown or not args.ssh_variants:
        parser.error("--ssh-variants: unknown %s (choose among %s)" % (
            ", ".join(unknown) or "(none given)", ", ".join(SSH_VARIANTS)))
    args.only = set(args.only.split(","))
    return args


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    previous = None
    if args.update:
        with open(out) as handle:
            previous = json.load(handle)
    work = new_work_dir()
    ctx = {"work": work, "logs": os.path.join(work, "logs"), "modlog": os.path.join(work, "modlog")}
    os.makedirs(ctx["logs"])
    os.makedirs(ctx["modlog"])
    with open(os.path.join(ctx["modlog"], "debugready-sudo"), "w") as handle:
        handle.write(sudo_profile_dropin())
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {
        "meta": {
            "started_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "quick": args.quick, "machine": machine(), "versions": versions(),
            "settings": {"reps": args.reps, "fleet_reps": args.fleet_reps, "large": args.large,
                         "large_reps": args.large_reps,
                         "fresh_reps": args.fresh_reps, "sizes": args.sizes, "forks": args.forks,
                         "target_procs": args.target_procs, "target_sudoers": args.target_sudoers,
                         "target_runs": args.target_runs, "count_wrapper": args.count,
                         "rss_interval_s": args.rss_interval, "connection": "containers.podman.podman",
                         "fleet_connection": "ansible.builtin.ssh" if args.connection == "ssh" else
                         "containers.podman.podman",
                         "check_vars": CHECK_VARS, "converge_vars": CONVERGE_VARS},
            "work_dir": work,
        },
    }
    say("logs in %s" % ctx["logs"])

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    load_before = loadavg()
    try:
        if "target" in args.only:
            measure_target(args, ctx, results)
        if "one_host" in args.only:
            measure_converge_and_one_host(args, ctx, results)
        if "fleet" in args.only:
            if args.connection == "ssh":
                measure_fleet_ssh(args, ctx, results)
            else:
                measure_fleet(args, ctx, results)
    except BenchFailure as exc:
        say("FAILED, nothing written: %s" % exc)
        return 1
    finally:
        if not args.keep:
            remove_containers(CREATED)
    ended = datetime.datetime.now(datetime.timezone.utc)
    results["meta"]["ended_utc"] = ended.strftime("%Y-%m-%dT%H:%M:%SZ")
    results["meta"]["duration_s"] = round((ended - started).total_seconds(), 1)
    if previous is not None:
        results = merged(previous, results, load_before, loadavg())
    with open(out + ".tmp", "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(out + ".tmp", out)
    say("wrote %s (%.0f s)" % (out, results["meta"]["duration_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
