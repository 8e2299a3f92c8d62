# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn bench/measure.py's JSON into docs/benchmarks.md and docs/benchmarks.png (and benchmarks-ssh.png).

Usage: python bench/report.py RESULTS.json --md OUT.md --png OUT.png [--notes bench/optimisations.md]
Needs matplotlib for the plot (bench/report runs it in the bench venv); without it only the page is written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import textwrap


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


def ssh_points(fleet_ssh, variant, which):
    """[(N, median, min, max)] of one playbook ("check" or "ping") of one SSH variant, by N."""
    out = []
    for size, entry in sorted(fleet_ssh.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        case = entry["variants"].get(variant, {}).get(which)
        st = wall(case) if case else None
        if st:
            out.append((int(size), st["median"], st["min"], st["max"]))
    return out


def ssh_marginal(fleet_ssh, variant):
    """Marginal cost per host of the check and of the ping under one variant (least-squares slope of the medians
    over N), with intercepts, R² and the ratio check / ping of the slopes (None where it cannot be computed)."""
    out = {}
    for which in ("check", "ping"):
        points = [(x, y) for x, y, _lo, _hi in ssh_points(fleet_ssh, variant, which)]
        slope, icpt = fit(points)
        out[which] = {"slope": slope, "intercept": icpt, "r2": r_squared(points, slope, icpt), "sizes": len(points)}
    check, ping = out["check"]["slope"], out["ping"]["slope"]
    # a flat or falling ping line (noise at small N) gives no meaningful ratio
    out["ratio"] = check / ping if check is not None and ping is not None and ping > 0 else None
    return out


def ssh_variants(fleet_ssh):
    """The variants in the order they were measured (the JSON's keys are sorted)."""
    return fleet_ssh.get("variant_order") or sorted(
        fleet_ssh.get("variants", {}),
        key=lambda v: (fleet_ssh["variants"][v]["control_persist"], fleet_ssh["variants"][v]["pipelining"]))


def _fmt_opt(value, pattern):
    return "n/a" if value is None else pattern % value


def ssh_section(fleet_ssh, add, png_name=None):
    """The fleet over SSH: per N and variant the check against the one-task ping, then the marginal costs."""
    variants = ssh_variants(fleet_ssh)
    add("## 2b. Fleet over SSH: N hosts at %d forks, pipelining and ControlPersist" % fleet_ssh["forks"])
    add("")
    if png_name:
        add("![wall time over SSH against the number of hosts, per variant](%s)" % png_name)
        add("")
    add("`bench/run --only fleet --connection ssh`: containers of `%s` with sshd, reached with `%s` as `%s` (a key "
        "generated for the run, host keys neither checked nor recorded) and become with sudo (NOPASSWD, no tty). "
        "In each repetition the check and a one-task `ansible.builtin.ping` playbook (`bench/playbooks/floor.yml`, "
        "also with become) run under every variant, interleaved; the check must succeed with every host ready in "
        "every run, or the bench fails. What each variant sets in the environment of `ansible-playbook`:" % (
            fleet_ssh["image"], fleet_ssh["connection"], fleet_ssh["user"]))
    add("")
    add("| variant | pipelining | ControlPersist | environment |")
    add("|---|---|---|---|")
    for name in variants:
        info = fleet_ssh["variants"][name]
        add("| %s | %s | %s | %s |" % (
            name, "on" if info["pipelining"] else "off", "on" if info["control_persist"] else "off",
            ", ".join("`%s=%s`" % kv for kv in sorted(info["env"].items()))))
    add("")
    add("Load average (1, 5, 15 min) before and after: %s -> %s." % (fleet_ssh.get("load_before"),
                                                                     fleet_ssh.get("load_after")))
    add("")
    add("`DIR` is a directory per variant and N; the masters are stopped after every run, so each run opens its "
        "connections afresh (ControlPersist saves the connections within a run, not between runs).")
    add("")
    add("| N | reps | variant | check | ping | check / ping | python starts per run (check / ping) |")
    add("|---|---|---|---|---|---|---|")
    for size, entry in sorted(fleet_ssh.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        for name in variants:
            cases = entry["variants"].get(name)
            if not cases:
                continue
            r = ratio(cases["check"], cases["ping"])
            add("| %s | %d | %s | %s | %s | %s | %s / %s |" % (
                size, entry["reps"], name, fmt_s(wall(cases["check"])), fmt_s(wall(cases["ping"])),
                _fmt_opt(r, "%.2f"), modules(cases["check"])[0], modules(cases["ping"])[0]))
    add("")
    add("Marginal cost per host: the least-squares slope of the median wall time against N (R² in parentheses), "
        "and the ratio of the two slopes.")
    add("")
    add("| variant | check, s per host | ping, s per host | check / ping per host | check at N=0 | ping at N=0 |")
    add("|---|---|---|---|---|---|")
    for name in variants:
        m = ssh_marginal(fleet_ssh, name)
        cells = []
        for which in ("check", "ping"):
            cells.append(_fmt_opt(m[which]["slope"], "%.3f") + (
                " (R² %.3f)" % m[which]["r2"] if m[which]["r2"] is not None else ""))
        add("| %s | %s | %s | %s | %s | %s |" % (name, cells[0], cells[1], _fmt_opt(m["ratio"], "**%.2f**"),
                                                 _fmt_opt(m["check"]["intercept"], "%.2f s"),
                                                 _fmt_opt(m["ping"]["intercept"], "%.2f s")))
    add("")
    add("Python starts are counted on the targets by the interpreter wrapper: with pipelining the module comes on "
        "stdin, without it as an `AnsiballZ_*.py` file. After every run the bench checks that each variant ran as "
        "labelled: the module came on stdin exactly when pipelining is on, and ControlPersist left master "
        "connections, at most one per host, and none without it. Fewer than one per host is Ansible's default "
        "`ControlPersist=60s` at work: in a run longer than a minute, the masters of the first hosts sit idle for "
        "a minute and exit, and a later task to those hosts connects afresh.")
    add("")


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


README_BEGIN = "<!-- generated by bench/report from docs/benchmarks.json: do not edit by hand -->"
README_END = "<!-- end of generated benchmark summary -->"


def readme_summary(data):
    """The README's performance paragraph, from the results (bench/report rewrites it between the markers)."""
    parts = []
    one = data.get("one_host")
    if one and ratio(one["baseline"], one["check"]):
        parts.append("**The one-host readiness check is %.1fx faster than the baseline** (%.2f s against %.2f s, "
                     "%s remote module execution(s) against %s)" % (
                         ratio(one["baseline"], one["check"]), wall(one["check"])["median"],
                         wall(one["baseline"])["median"], modules(one["check"])[0], modules(one["baseline"])[0]))
        ri = ratio(one["converge_idempotent"], one["check"])
        if ri:
            parts.append("**an idempotent converge takes %.2fx the check** (%.2f s)" % (
                ri, wall(one["converge_idempotent"])["median"]))
    fleet = data.get("fleet")
    if fleet:
        check, base = fleet_points(fleet, "check"), fleet_points(fleet, "baseline")
        both = [(c[0], c[1], b[1]) for c, b in zip(check, base) if c[0] == b[0] and c[1]]
        if both:
            ratios = [b / c for _n, c, b in both]
            size, c_last, b_last = both[-1]
            slopes = [fit([(x, y) for x, y, _lo, _hi in pts])[0] for pts in (check, base)]
            per_host = ("; %.2f s more per host against %.2f s" % tuple(slopes)) if None not in slopes else ""
            parts.append("across a fleet the check stays %.1f-%.1fx faster (%d hosts at %d forks: %.1f s against "
                         "%.1f s%s)" % (min(ratios), max(ratios), size, fleet["forks"], c_last, b_last, per_host))
    text = ", ".join(parts[:-1]) + ", and " + parts[-1] if len(parts) > 1 else "".join(parts)
    target = data.get("on_target")
    if target:
        conf = target["configs"][0]
        text += "; " if text else ""
        text += ("`ptrace_facts` with default options takes %.0f ms on a target with %s processes and %s sudoers "
                 "files" % (conf["median_ms"], "{:,}".format(target["host"]["processes"]),
                            target["host"]["sudoers_d_files"]))
    meta = data["meta"]
    when = {meta["started_utc"][:10]}
    # the dates of the parts this paragraph quotes (the SSH fleet is on the page only)
    when.update(info["started_utc"][:10] for part, info in (meta.get("remeasured") or {}).items()
                if part != "fleet_ssh")
    return "%s (measured %s on a %d-core %s machine, podman connection; figures, how they were taken and how to " \
           "reproduce them: [docs/benchmarks.md](docs/benchmarks.md))." % (
               text, " and ".join(sorted(when)), meta["machine"]["nproc"], meta["machine"]["cpu"])


def figures(data):
    """The figures of this run that the optimisation notes quote, by name ("n/a" where the run has none)."""
    out = {}
    one = data.get("one_host") or {}
    if one.get("check") and one.get("baseline"):
        out["check_s"] = "%.2f" % wall(one["check"])["median"]
        out["baseline_s"] = "%.2f" % wall(one["baseline"])["median"]
        out["check_modules"] = str(modules(one["check"])[0])
        out["baseline_modules"] = str(modules(one["baseline"])[0])
        r = ratio(one["baseline"], one["check"])
        out["check_vs_baseline"] = "%.1f" % r if r else "n/a"
    if one.get("converge_idempotent") and one.get("check"):
        out["converge_idempotent_s"] = "%.2f" % wall(one["converge_idempotent"])["median"]
        out["converge_idempotent_modules"] = str(modules(one["converge_idempotent"])[0])
        ri = ratio(one["converge_idempotent"], one["check"])
        out["converge_over_check"] = "%.2f" % ri if ri else "n/a"
    first = data.get("converge_first")
    if first and wall(first):
        out["converge_first_s"] = "%.1f" % wall(first)["median"]
        out["converge_first_modules"] = str(modules(first)[0])
    target = data.get("on_target")
    if target:
        by_name = dict((c["label"], c["median_ms"]) for c in target["configs"])
        out["facts_default_ms"] = "%.1f" % target["configs"][0]["median_ms"]
        trace = [ms for name, ms in by_name.items() if name.startswith("default + trace")]
        check = [ms for name, ms in by_name.items() if name.startswith("trace_check ")]
        if trace:
            out["facts_trace_ms"] = "%.1f" % trace[0]
            out["trace_adds_ms"] = "%.0f" % (trace[0] - target["configs"][0]["median_ms"])
        if check:
            out["trace_check_ms"] = "%.1f" % check[0]
        out["target_processes"] = "{:,}".format(target["host"]["processes"])
        out["target_sudoers"] = str(target["host"]["sudoers_d_files"])
    return out


_FIGURE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def render_notes(notes, data):
    """The notes with each {{ name }} replaced by that figure of the run; an unknown name is an error."""
    known = figures(data)
    names = set(_FIGURE.findall(notes))
    unknown = sorted(names - set(FIGURE_NAMES))
    if unknown:
        raise SystemExit("report: the notes name unknown figures: %s (known: %s)" % (
            ", ".join(unknown), ", ".join(FIGURE_NAMES)))
    return _FIGURE.sub(lambda m: known.get(m.group(1), "n/a"), notes)


FIGURE_NAMES = ("check_s", "baseline_s", "check_modules", "baseline_modules", "check_vs_baseline",
                "converge_idempotent_s", "converge_idempotent_modules", "converge_over_check", "converge_first_s",
                "converge_first_modules", "facts_default_ms", "facts_trace_ms", "trace_adds_ms", "trace_check_ms",
                "target_processes", "target_sudoers")


def update_readme(path, data, check_only=False):
    """Rewrite the generated block of the README; with check_only, only say whether it is current."""
    with open(path) as handle:
        text = handle.read()
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit("report: %s has no generated benchmark block (%s ... %s)" % (path, README_BEGIN, README_END))
    wanted = text[:start] + README_BEGIN + "\n" + textwrap.fill(readme_summary(data), 118) + "\n" + text[end:]
    if check_only:
        return wanted == text
    if wanted != text:
        with open(path + ".tmp", "w") as handle:
            handle.write(wanted)
        os.replace(path + ".tmp", path)
    return True


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
    for size, entry in (data.get("fleet_ssh") or {}).get("sizes", {}).items():
        for variant, pair in entry["variants"].items():
            cases += [("SSH fleet N=%s, %s, %s" % (size, variant, which), pair[which]) for which in ("check", "ping")]
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


def page(data, notes, png_name, ssh_png_name=None):
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

    if data.get("fleet_ssh"):
        ssh_section(data["fleet_ssh"], add, ssh_png_name)

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
        add(render_notes(notes, data).rstrip())
    add("")
    return "\n".join(lines)


HOW_TO = """\
```sh
bench/run                 # the full measurement: docs/benchmarks.json, .md and .png (30-40 minutes on 2 cores)
bench/run --quick         # smoke test: fleet sizes 1 and 2, one repetition, into ~/.cache/debugready/bench-quick/
bench/run --update --only target   # re-measure one part into docs/benchmarks.json (the page names its commit and load)
bench/report docs/benchmarks.json     # regenerate the page and the plot without measuring again
bench/run --update --only fleet --connection ssh   # the fleet over SSH (section 2b), sizes 1,10,25,50,100
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
- **Fleet over SSH** (`--connection ssh`, section 2b): N containers of the `-sshd` image with sshd, reached over
  `ansible.builtin.ssh` as `deploy` with become (sudo, no password, no tty), a key generated per run. Each variant
  of pipelining (`ANSIBLE_PIPELINING`) and ControlPersist (`ANSIBLE_SSH_ARGS`) runs the check and a one-task ping
  playbook; the marginal cost per host of each is the least-squares slope of its median wall time against N, and
  their ratio says how many pings' worth of time one more host costs the check. `--ssh-variants` picks variants.
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
    machine = data["meta"]["machine"]
    fig.text(0.99, 0.01, "%s, %s, %d cores" % (data["meta"]["started_utc"][:10], machine["cpu"], machine["nproc"]),
             ha="right", fontsize=7, color="gray")
    # headroom: room for the legend above the points
    _finish_plot(plt, fig, ax, data, "Readiness check: wall time against the number of hosts", png, 1.35, 8)
    return True


def _finish_plot(plt, fig, ax, data, title, png, headroom, legend_size):
    """Title (marked on a smoke run), axes from 0 with `headroom` above for the legend, grid; save and close."""
    from matplotlib.ticker import MaxNLocator  # pylint: disable=import-outside-toplevel
    if data["meta"].get("quick"):
        title += " (SMOKE RUN)"
    ax.set_title(title, fontsize=10)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * headroom)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=legend_size, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)


def plot_ssh(data, png):
    """Median wall time against N over SSH: the check (solid) and the ping (dashed) of each variant."""
    fleet_ssh = data.get("fleet_ssh")
    if not fleet_ssh:
        return False
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    colors = ["tab:red", "tab:orange", "tab:green", "tab:blue"]
    for number, variant in enumerate(ssh_variants(fleet_ssh)):
        color = colors[number % len(colors)]
        for which, style in (("check", "o-"), ("ping", "s--")):
            pts = ssh_points(fleet_ssh, variant, which)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=color, markersize=4, linewidth=1,
                        label="%s, %s" % (which, variant))
    ax.set_xlabel("hosts (podman containers with sshd, ansible.builtin.ssh), %d forks" % fleet_ssh["forks"])
    ax.set_ylabel("median wall time of ansible-playbook (s)")
    _finish_plot(plt, fig, ax, data, "Check (solid) and one-task ping (dashed) over SSH, per variant", png, 1.45, 7)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--md")
    parser.add_argument("--png")
    parser.add_argument("--notes", help="a Markdown file appended to the page (the optimisation notes)")
    parser.add_argument("--readme", help="rewrite the generated performance paragraph of this README")
    parser.add_argument("--check-readme", action="store_true",
                        help="only check that --readme's generated paragraph matches the results (exit 1 if not)")
    args = parser.parse_args(argv)
    with open(args.results) as handle:
        data = json.load(handle)
    if args.check_readme:
        if not update_readme(args.readme, data, check_only=True):
            sys.stderr.write("report: the performance paragraph of %s is not the one %s gives: run bench/report\n"
                             % (args.readme, args.results))
            return 1
        return 0
    if not args.md or not args.png:
        parser.error("--md and --png are required (unless --check-readme)")
    if args.readme:
        update_readme(args.readme, data)
    notes = None
    if args.notes and os.path.exists(args.notes):
        with open(args.notes) as handle:
            notes = handle.read()
    drawn = plot(data, args.png)
    ssh_png = os.path.splitext(args.png)[0] + "-ssh.png"  # benchmarks-ssh.png beside benchmarks.png
    ssh_drawn = plot_ssh(data, ssh_png)
    text = page(data, notes, os.path.basename(args.png) if drawn else "(no plot)",
                os.path.basename(ssh_png) if ssh_drawn else None)
    with open(args.md, "w") as handle:
        handle.write(text)
    sys.stderr.write("report: wrote %s%s%s\n" % (args.md, " and " + args.png if drawn else "",
                                                 " and " + ssh_png if ssh_drawn else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
