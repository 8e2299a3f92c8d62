"""Real tracing checks shared by the role's scenarios (testinfra, podman backend)."""

import time


def worker_pids(host, user="www-data"):
    return sorted(p.pid for p in host.process.filter(comm="apache2", user=user))


def as_user(user, command):
    return "setpriv --reuid={0} --regid={0} --init-groups -- {1}".format(user, command)


def trace_request(host, user, tracer, out="/tmp/debugready-trace.out"):
    """Attach `tracer` (e.g. 'sudo -n strace') as `user` to every Apache worker, serve a real request, detach.

    Returns (exit code of the tracer, its stderr, what it recorded, whether the request was served).
    Requests may go to any worker, so every worker is traced.
    The tracer runs in its own process group (setsid): sudo 1.9.5 (Debian 11) running
    the command in a pty (log_output) ignores a signal sent from its own process group, so timeout's
    SIGINT would never reach strace, which would stay attached (measured; 1.9.13 relays it).
    """
    pids = " ".join("-p %d" % pid for pid in worker_pids(host))
    host.run("rm -f %s" % out)
    command = as_user(user, "timeout -s INT 4 setsid {0} -f -s 128 -e trace=read,write,recvfrom,sendto,writev "
                            "-o {1} {2}".format(tracer, out, pids))
    script = "({0}) 2>/tmp/debugready-trace.err & sleep 1.5; curl -fsS -o /dev/null http://127.0.0.1/; echo curl=$?; wait $!; echo rc=$?".format(command)
    result = host.run("sh -c %s" % quote(script))
    lines = dict(line.split("=", 1) for line in result.stdout.split() if "=" in line)
    recorded = host.file(out).content_string if host.file(out).exists else ""
    stderr = host.file("/tmp/debugready-trace.err").content_string
    return int(lines.get("rc", -1)), stderr, recorded, lines.get("curl") == "0"


def assert_traces_a_request(host, user, tracer):
    """`user` attaches `tracer` to every Apache worker and records a real request; Apache keeps serving."""
    rc, stderr, recorded, ok = trace_request(host, user, tracer)
    assert rc == 124, stderr  # attached, interrupted by the timeout
    assert "GET / HTTP/1.1" in recorded
    assert ok and served(host)


def assert_refused(host, user, tracer, message, rc=1):
    """`user` cannot attach `tracer` (exit `rc`, `message` on stderr), records nothing; Apache keeps serving."""
    got, stderr, recorded, ok = trace_request(host, user, tracer)
    assert got == rc and message in stderr, (got, stderr)
    assert recorded == ""
    assert ok and served(host)


def quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def served(host):
    return host.run("curl -fsS -o /dev/null http://127.0.0.1/").rc == 0


def wait_for_workers(host, user="www-data", tries=20):
    for dummy in range(tries):
        if worker_pids(host, user):
            return True
        time.sleep(0.5)
    return False


def sudo_permits(host, user, command, runas=None):
    """sudo's own answer to "may USER run COMMAND (as RUNAS)?": `sudo -n -l -U USER [-u RUNAS] COMMAND`.

    sudo prints the matched command and exits 0, or prints nothing and exits 1. Anything else (an
    unknown user, a broken sudoers tree) is an error, not a "no": the calling test fails on it.
    """
    result = host.run("sudo -n -l -U %s %s%s" % (user, "-u %s " % runas if runas else "", command))
    if result.rc == 0:
        assert result.stdout.split()[:1] == command.split()[:1], result.stdout
        return True
    assert (result.rc, result.stdout, result.stderr) == (1, "", ""), (result.rc, result.stdout, result.stderr)
    return False
