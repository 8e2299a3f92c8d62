# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn bench/measure.py's JSON into docs/benchmarks.md and docs/benchmarks.png.

Usage: python bench/report.py RESULTS.json --md OUT.md --png OUT.png [--notes bench/optimisations.md]
Needs matplotlib for the plot (bench/report runs it in the bench venv); without it only the page is written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def ok_runs(case):
    return [r for r in case.get("runs", []) if r.get("rc") == 0]


def wall(case):
    return stats([r["wall_s"] for r in ok_runs(case)])


def cpu(case):
    return stats([r["user_s"] + r["sys_s"] for r in ok_runs(case)])


def fmt_s(st, digits=2):
    if not st:
        return "n/a"
    if st["n"] == 1:
        return "%.*f s" % (digits, st["median"])
    return "%.*f s (%.*f-%.*f)" % (digits, st["median"], digits, st["min"], digits, st["max"])


def fmt_ms(median, low, high):
    return "%.1f ms (%.1f-%.1f)" % (median, low, high)


def fmt_mib(kib):
    return "n/a" if kib is None else "%.0f MiB" % (kib / 1024.0)


def modules(case):
    """Remote module executions per run (the same in every run; the profile run counts too)."""
    counts = [r.get("remote_module_executions") for r in ok_runs(case) + [case.get("profile_run") or {}]
              if r.get("remote_module_executions") is not None]
    if not counts:
        return None, {}
    detail = (ok_runs(case) or [case.get("profile_run")])[0].get("remote_modules") or {}
    return (counts[0] if len(set(counts)) == 1 else "%d-%d" % (min(counts), max(counts))), detail


def paired_ratios(num, den):
    """Per-repetition ratios num/den (the runs of a repetition are taken together, in the same run)."""
    a, b = ok_runs(num), ok_runs(den)
    return [x["wall_s"] / y["wall_s"] for x, y in zip(a, b) if y["wall_s"]]


def ratio(num, den):
    a, b = wall(num), wall(den)
    if not a or not b:
        return None
    return a["median"] / b["median"]


def fit(points):
    """Least-squares slope and intercept of (x, y) points."""
    if len(points) < 2:
        return None, None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return None, None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope, my - slope * mx


def r_squared(points, slope, icpt):
    """How well the line explains the points (1.0: exactly linear)."""
    ys = [p[1] for p in points]
    if len(points) < 3 or slope is None:
        return None
    my = statistics.mean(ys)
    total = sum((y - my) ** 2 for y in ys)
    resid = sum((y - (icpt + slope * x)) ** 2 for x, y in points)
    return 1 - resid / total if total else None


def fleet_points(fleet, which):
    out = []
    for size, entry in sorted(fleet.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        st = wall(entry[which])
        if st:
            out.append((int(size), st["median"], st["min"], st["max"]))
    return out


def headline(data):
    one = data.get("one_host")
    if not one:
        return "The one-host readiness check was not measured in this run."
    r = ratio(one["baseline"], one["check"])
    check_mods = modules(one["check"])[0]
    base_mods = modules(one["baseline"])[0]
    if r is None:
        return "The one-host readiness check could not be compared with the baseline in this run (failed runs)."
    return ("The one-host readiness check is %.1fx faster than the baseline (%.2f s against %.2f s, medians), with %s "
            "remote module execution(s) against %s." % (
                r, wall(one["check"])["median"], wall(one["baseline"])["median"], check_mods, base_mods))


def round_trip(one):
    """Seconds per module round trip: (baseline - check) / (their difference in module executions)."""
    base_mods = modules(one["baseline"])[0]
    check_mods = modules(one["check"])[0]
    b, c = wall(one["baseline"]), wall(one["check"])
    if b and c and isinstance(base_mods, int) and isinstance(check_mods, int) and base_mods > check_mods:
        return (b["median"] - c["median"]) / (base_mods - check_mods)
    return None


def failed_runs(data):
    """[(case, failed run count, one log)] over every playbook measured."""
    cases = []
    for key, case in (data.get("one_host") or {}).items():
        if isinstance(case, dict) and "runs" in case:
            cases.append(("one host, " + key, case))
    if data.get("converge_first"):
        cases.append(("first converge", data["converge_first"]))
    for size, entry in (data.get("fleet") or {}).get("sizes", {}).items():
        cases += [("fleet N=%s, %s" % (size, which), entry[which]) for which in ("check", "baseline")]
    out = []
    for label, case in cases:
        bad = [r for r in case["runs"] + [case.get("profile_run") or {"rc": 0}] if r.get("rc") != 0]
        if bad:
            out.append((label, len(bad), bad[0].get("log")))
    return out


def targets_table(data, add):
    """The issue's targets, each with the figure of this run and whether it is met."""
    rows = []
    one = data.get("one_host")
    if one:
        mods = modules(one["check"])[0]
        rows.append(("remote module executions of the one-host check", "1", str(mods), mods == 1))
        r = ratio(one["baseline"], one["check"])
        rows.append(("one-host check, baseline / check wall time", ">= 5x", "%.1fx" % r if r else "n/a",
                     r is not None and r >= 5))
        ri = ratio(one["converge_idempotent"], one["check"])
        rows.append(("idempotent converge / check wall time", "<= 1.5", "%.2f" % ri if ri else "n/a",
                     ri is not None and ri <= 1.5))
    fleet = data.get("fleet")
    if fleet and one:
        slope = fit([(x, y) for x, y, _lo, _hi in fleet_points(fleet, "check")])[0]
        rt = round_trip(one)
        rows.append(("fleet check, marginal cost per host", "<= one module round trip (%s)" % (
            "%.2f s" % rt if rt else "n/a"), "%.2f s" % slope if slope is not None else "n/a",
            slope is not None and rt is not None and slope <= rt))
    target = data.get("on_target")
    if target:
        default = target["configs"][0]
        rows.append(("`ptrace_facts` default options, %d processes, %d sudoers files" % (
            target["host"]["processes"], target["host"]["sudoers_d_files"]), "< 150 ms",
            "%.1f ms" % default["median_ms"], default["median_ms"] < 150))
    if not rows:
        return
    add("## Targets")
    add("")
    add("| target | wanted | this run | met |")
    add("|---|---|---|---|")
    for name, wanted, got, met in rows:
        add("| %s | %s | %s | %s |" % (name, wanted, got, "yes" if met else "**no**"))
    add("")


def page(data, notes, png_name):
    meta = data["meta"]
    m, v, s = meta["machine"], meta["versions"], meta["settings"]
    lines = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add(headline(data))
    add("")
    if meta.get("quick"):
        add("> **SMOKE RUN (`bench/run --quick`), not a measurement**: one repetition, fleet sizes %s, on a shared "
            "and busy machine. These numbers only show that the bench works end to end; the real figures come from "
            "`bench/run` on a quiet machine." % ", ".join(str(x) for x in s["sizes"]))
        add("")
    add("Measured %s (%.0f minutes) on %s: %s, %d cores, %.0f GiB RAM, kernel %s; %s; %s; ansible package %s; "
        "Python %s; collection at %s. Connection: `%s`, podman containers of `%s` (apache2 as PID 1, "
        "`--cap-add SYS_PTRACE`)." % (
            meta["started_utc"], meta.get("duration_s", 0) / 60.0, m.get("os"), m["cpu"], m["nproc"], m["ram_gib"],
            m["kernel"], v["podman"], v["ansible_core"], v["ansible_package"], m["python"], v["collection_commit"],
            s["connection"], v["image"]))
    load = []
    for part in ("one_host", "fleet"):
        if part in data:
            load.append("%s %s -> %s" % (
                part.replace("_", "-"), data[part].get("load_before"), data[part].get("load_after")))
    if load:
        add("Load average (1, 5, 15 min) before and after: %s." % "; ".join(load))
    for part, info in sorted((meta.get("remeasured") or {}).items()):
        add("")
        add("**`%s` re-measured** %s (%.0f s) at collection commit %s (`bench/run --update --only ...`); load "
            "average before and after %s -> %s. The rest of the page is from the run above." % (
                part, info["started_utc"], info["duration_s"], info["collection_commit"], info["load_before"],
                info["load_after"]))
    add("")
    add("Every figure is a median over several runs, with min-max in parentheses; every ratio compares runs "
        "of the same `bench/run`, on the same hosts, interleaved. How to run it and what each number means: "
        "[below](#how-to-run-and-what-the-numbers-mean).")
    add("")

    targets_table(data, add)

    one = data.get("one_host")
    if one:
        add("## 1. One host: readiness check against the baseline")
        add("")
        add("A compliant host (converged with the `sudo` profile, `alice` in the debug group), %d repetition(s), "
            "the four playbooks interleaved in each. Controller CPU is user+sys of the `ansible-playbook` process "
            "tree; module executions are counted on the target." % s["reps"])
        add("")
        add("| playbook | wall time | remote module executions | controller CPU | controller peak RSS (tree) |")
        add("|---|---|---|---|---|")
        for key, label in (("floor", "floor: one `ping` (`bench/playbooks/floor.yml`)"),
                           ("check", "`debugready.ptrace.check`"),
                           ("baseline", "baseline (`bench/baseline/check.yml`)"),
                           ("converge_idempotent", "`debugready.ptrace.converge`, idempotent")):
            if key not in one:
                continue
            case = one[key]
            mods = modules(case)[0]
            rss = stats([r.get("tree_peak_rss_kib") for r in ok_runs(case)])
            add("| %s | %s | %s | %s | %s |" % (label, fmt_s(wall(case)), mods, fmt_s(cpu(case)),
                                                fmt_mib(rss["median"] if rss else None)))
        first = data.get("converge_first")
        if first:
            mods = modules(first)[0]
            add("| `debugready.ptrace.converge`, first run on a fresh container | %s | %s | %s | |" % (
                fmt_s(wall(first)), mods, fmt_s(cpu(first))))
        add("")
        r = ratio(one["baseline"], one["check"])
        pr = paired_ratios(one["baseline"], one["check"])
        if r:
            add("- **Check against baseline: %.1fx faster** (ratio of medians; per repetition %s)." % (
                r, ", ".join("%.1fx" % x for x in pr)))
        ri = ratio(one["converge_idempotent"], one["check"])
        if ri:
            add("- **Idempotent converge / check: %.2f** (target: at most 1.5)." % ri)
        rt = round_trip(one)
        if rt is not None:
            add("- One module round trip, from the difference between the two: **%.2f s** "
                "((baseline - check) / (%s - %s) module executions)." % (
                    rt, modules(one["baseline"])[0], modules(one["check"])[0]))
        floor = wall(one.get("floor", {})) if one.get("floor") else None
        if floor:
            add("- The floor (a playbook with one module call) is %s: the check is %s above it." % (
                fmt_s(floor), "%.2f s" % (wall(one["check"])["median"] - floor["median"]) if wall(one["check"])
                else "n/a"))
        add("")
        add("Remote module executions per playbook, by module:")
        add("")
        for key in ("check", "baseline", "converge_idempotent"):
            if key in one:
                _mods, detail = modules(one[key])
                add("- %s: %s" % (key.replace("_", " "), ", ".join("%s x%d" % kv for kv in sorted(detail.items()))
                                  or "n/a"))
        if first:
            _mods, detail = modules(first)
            add("- first converge: %s" % (", ".join("%s x%d" % kv for kv in sorted(detail.items())) or "n/a"))
        add("")
        add("Per-task times of the warm-up run (`ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks`), "
            "slowest first:")
        add("")
        for key in ("check", "baseline", "converge_idempotent"):
            prof = (one.get(key) or {}).get("profile_run", {}).get("profile_tasks") or []
            if prof:
                add("<details><summary>%s (%d tasks, %.1f s in tasks)</summary>" % (
                    key.replace("_", " "), len(prof), sum(t for _n, t in prof)))
                add("")
                add("| task | s |")
                add("|---|---|")
                for name, secs in prof[:25]:
                    add("| %s | %.2f |" % (name.replace("|", "\\|"), secs))
                add("")
                add("</details>")
                add("")

    fleet = data.get("fleet")
    if fleet:
        add("## 2. Fleet: N hosts at %d forks" % fleet["forks"])
        add("")
        add("![wall time against the number of hosts](%s)" % png_name)
        add("")
        add("| N | reps | check | baseline | ratio | check CPU | baseline CPU | check peak RSS | baseline peak RSS "
            "| modules (check / baseline) |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for size, entry in sorted(fleet["sizes"].items(), key=lambda kv: int(kv[0])):
            c, b = entry["check"], entry["baseline"]
            r = ratio(b, c)
            rc = stats([x.get("tree_peak_rss_kib") for x in ok_runs(c)])
            rb = stats([x.get("tree_peak_rss_kib") for x in ok_runs(b)])
            add("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
                size, entry["reps"], fmt_s(wall(c)), fmt_s(wall(b)), "%.1fx" % r if r else "n/a",
                fmt_s(cpu(c)), fmt_s(cpu(b)), fmt_mib(rc["median"] if rc else None),
                fmt_mib(rb["median"] if rb else None), modules(c)[0], modules(b)[0]))
        add("")
        for which in ("check", "baseline"):
            points = [(x, y) for x, y, _lo, _hi in fleet_points(fleet, which)]
            slope, icpt = fit(points)
            r2 = r_squared(points, slope, icpt)
            cslope = fit([(int(n), cpu(e[which])["median"]) for n, e in fleet["sizes"].items() if cpu(e[which])])[0]
            if slope is not None:
                add("- %s: marginal cost **%.2f s per host** (least-squares slope of the medians; intercept %.2f s%s), "
                    "controller CPU %.2f s per host." % (which, slope, icpt,
                                                         "; R² %.3f" % r2 if r2 is not None else "", cslope or 0))
        add("")

    target = data.get("on_target")
    if target:
        h = target["host"]
        add("## 3. On the target: `ptrace_facts` and `trace_check` alone")
        add("")
        add("Inside one container with %d processes (%d extra `sleep` processes of 8 users), %d files in "
            "/etc/sudoers.d (%d generated) and %d Apache workers; %d runs per line in one Python process "
            "(`bench/facts_on_target.py`), timing only the work (`_hoststate.gather()` or `_tracecheck.check()` "
            "as the modules call them), not Python's start-up." % (
                h["processes"], s["target_procs"], h["sudoers_d_files"], s["target_sudoers"], h["apache_workers"],
                target["runs_per_config"]))
        add("")
        add("| what | wall time | peak RSS (Python / commands) | commands run per call |")
        add("|---|---|---|---|")
        for conf in target["configs"]:
            cmds = conf.get("commands_per_run") or []
            add("| %s | %s | %s / %s | %s |" % (
                conf["label"], fmt_ms(conf["median_ms"], conf["min_ms"], conf["max_ms"]),
                fmt_mib(conf["peak_rss_kib"]), fmt_mib(conf.get("children_peak_rss_kib") or None),
                ", ".join("`%s`" % os.path.basename(c) for c in cmds) or "none"))
        add("")
        default = target["configs"][0]
        add("- `ptrace_facts` with default options: **%.1f ms** median (target: under 150 ms)." % default["median_ms"])
        add("")

    failed = failed_runs(data)
    if failed:
        add("## Failed runs (left out of the statistics)")
        add("")
        for label, count, log in failed:
            add("- %s: %d run(s) failed, e.g. `%s`" % (label, count, log))
        add("")

    add("## How to run and what the numbers mean")
    add("")
    add(HOW_TO)
    if notes:
        add("")
        add(notes.rstrip())
    add("")
    return "\n".join(lines)


HOW_TO = """\
```sh
bench/run                 # the full measurement: docs/benchmarks.json, .md and .png (30-40 minutes on 2 cores)
bench/run --quick         # smoke test: fleet sizes 1 and 2, one repetition, into ~/.cache/debugready/bench-quick/
bench/run --update --only target   # re-measure one part into docs/benchmarks.json (the page names its commit and load)
bench/report docs/benchmarks.json     # regenerate the page and the plot without measuring again
bench/run --reps 5 --fleet-reps 5 --large 25 --large-reps 3 --sizes 1,10,25,50 --forks 10   # the defaults
```

`bench/run` sets up what `scripts/test` would (the test venv with ansible-core 2.19 and the `ansible` package, the
podman image `localhost/debugready-apache:bookworm`, podman's configuration), plus a small venv with matplotlib for
the plot. It starts its own containers, all named `drbench-*`, exactly as the molecule scenarios do (apache2 as
PID 1, `--cap-add SYS_PTRACE`, users `alice` and `dave`), and removes them at the end. Nothing is timed in the
tests: this page is the only place with numbers.

- **Wall time**: of the whole `ansible-playbook` process, start to exit, measured by `bench/measure.py`; it includes
  Ansible's start-up, inventory and the local report tasks. Median over the repetitions, min-max in parentheses.
- **Remote module executions**: counted on the targets, not guessed. The inventory's `ansible_python_interpreter`
  is a two-line wrapper (`/usr/local/bin/drbench-python`) that appends its arguments to a log and execs
  `/usr/bin/python3`. The podman connection has no pipelining, so every module execution on a target is exactly
  one start of the interpreter with `AnsiballZ_<module>.py` as argument; the bench reads the logs after each run.
  Controller-local tasks (`set_fact`, `debug`, the report files written on localhost) are not remote and not
  counted. The wrapper is used for both playbooks alike (`--no-count` turns it off). What one round trip is, with
  this connection (`-vvv`): four `podman exec` (mkdir of a temp dir, chmod, python, rm) and a copy of the
  AnsiballZ file into the container's mounted filesystem.
- **Baseline**: `bench/baseline/check.yml`, the same read-only question answered with `ansible.posix.sysctl`,
  `community.general.capabilities` and `community.general.sudoers` in check mode and builtin `command`/`stat` tasks,
  written as a competent user would (see `bench/baseline/README.md`), with a local report step like the check's.
- **Check**: `ansible-playbook debugready.ptrace.check`, asked to trace the same thing the baseline looks at
  (`debugready_trace`: alice, through sudo, every apache2 worker of www-data).
- **Converge**: `ansible-playbook debugready.ptrace.converge -e debug_access_profile=sudo` with `alice` as member;
  *first* on a freshly started container (a new one per repetition), *idempotent* on the already converged one.
- **Ratios** are ratios of medians of the same run; the per-repetition ratios show their spread.
- **Floor**: a playbook with one `ping` per host, the least any playbook that asks each host something costs.
- **Fleet**: N containers at the same `--forks`, the two playbooks alternating. The marginal cost per host is the
  least-squares slope of the median wall time against N; compare it with one module round trip (section 1).
- **Controller CPU**: user+sys time of the `ansible-playbook` process and every descendant it waited for
  (`wait4`), i.e. Ansible's workers and the `podman` CLI processes; the container runtime's own processes
  (conmon, runc) are not descendants and are not included. **Peak RSS (tree)**: the largest sum of the resident
  memory of the process tree, sampled every 0.5 s (shared pages counted once per process, so it overstates).
- **On the target**: `bench/facts_on_target.py` inside a container with about 2,000 processes and 200 sudoers
  drop-ins that the bench generates (aliases, Defaults, rules, some debugger grants; `visudo -c` accepts them).
  It times `_hoststate.gather()` (what `ptrace_facts` runs) for each gathering option and `_tracecheck.check()`
  (what `trace_check` runs) over every Apache worker, and the facts call with the check's trace requests
  (`gather()` then `_tracecheck.verdicts()` on the same snapshot, as `ptrace_facts` does), in one Python process, with the commands the modules run
  (`visudo -c`, `sudo -V`, version options, `sudo -l`). Peak RSS is the Python process's and the largest command's.
  `--profile N` adds a cProfile listing.
"""


def plot(data, png):
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
        from matplotlib.ticker import MaxNLocator  # pylint: disable=import-outside-toplevel
    except ImportError:
        sys.stderr.write("report: matplotlib is not installed; no plot written\n")
        return False
    fleet = data.get("fleet")
    if not fleet:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for which, label, color in (("baseline", "baseline (bench/baseline/check.yml)", "tab:red"),
                                ("check", "debugready.ptrace.check", "tab:blue")):
        pts = fleet_points(fleet, which)
        if not pts:
            continue
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
        ax.errorbar(xs, ys, yerr=err, fmt="o", color=color, capsize=3, label=label + " (median, min-max)")
        slope, icpt = fit(list(zip(xs, ys)))
        if slope is not None:
            ax.plot([0, max(xs)], [icpt, icpt + slope * max(xs)], "--", color=color, linewidth=1,
                    label="fit: %.2f s + %.2f s/host" % (icpt, slope))
    ax.set_xlabel("hosts (podman containers), %d forks" % fleet["forks"])
    ax.set_ylabel("wall time of ansible-playbook (s)")
    title = "Readiness check: wall time against the number of hosts"
    if data["meta"].get("quick"):
        title += " (SMOKE RUN)"
    ax.set_title(title, fontsize=10)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.35)  # room for the legend above the points
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    machine = data["meta"]["machine"]
    fig.text(0.99, 0.01, "%s, %s, %d cores" % (data["meta"]["started_utc"][:10], machine["cpu"], machine["nproc"]),
             ha="right", fontsize=7, color="gray")
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--md", required=True)
    parser.add_argument("--png", required=True)
    parser.add_argument("--notes", help="a Markdown file appended to the page (the optimisation notes)")
    args = parser.parse_args(argv)
    with open(args.results) as handle:
        data = json.load(handle)
    notes = None
    if args.notes and os.path.exists(args.notes):
        with open(args.notes) as handle:
            notes = handle.read()
    drawn = plot(data, args.png)
    text = page(data, notes, os.path.basename(args.png) if drawn else "(no plot)")
    with open(args.md, "w") as handle:
        handle.write(text)
    sys.stderr.write("report: wrote %s%s\n" % (args.md, " and " + args.png if drawn else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
