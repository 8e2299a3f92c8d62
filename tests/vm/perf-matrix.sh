#!/usr/bin/env bash
# The perf_event_open matrix of docs/verified-semantics.md section 16, on the kernel it runs on (as root):
# perf_event_paranoid 3, 2, 1, 0, -1 x {plain perf, cap_perfmon+ep copy, cap_sys_ptrace+ep copy}
# x {nobody's own process, root's process, nobody's non-dumpable process, system-wide}.
# Prints OK/NO with perf's exit status per cell; puts the paranoid level back and removes what it made.
set -uo pipefail
USER_ID=65534
BIN=/usr/local/bin
ORIGINAL="$(cat /proc/sys/kernel/perf_event_paranoid)"
cp /usr/bin/perf "$BIN/perf-perfmon" && setcap cap_perfmon+ep "$BIN/perf-perfmon"
cp /usr/bin/perf "$BIN/perf-ptrace" && setcap cap_sys_ptrace+ep "$BIN/perf-ptrace"
setpriv --reuid=$USER_ID --regid=$USER_ID --clear-groups -- sleep 600 &
OWN=$!
sleep 600 &
ROOT_PROC=$!
# changes its own ids without exec, as Apache's workers do: not dumpable
python3 -c 'import os, time; os.setgid(65534); os.setuid(65534); time.sleep(600)' &
NOT_DUMPABLE=$!
cleanup() {
  kill "$OWN" "$ROOT_PROC" "$NOT_DUMPABLE" 2>/dev/null
  echo "$ORIGINAL" >/proc/sys/kernel/perf_event_paranoid
  rm -f "$BIN/perf-perfmon" "$BIN/perf-ptrace"
}
trap cleanup EXIT
sleep 0.5

cell() {  # cell LABEL PERF ARGS...
  local label=$1 perf=$2 out rc
  shift 2
  out="$(setpriv --reuid=$USER_ID --regid=$USER_ID --clear-groups -- \
    timeout 10 "$perf" stat -x, -e task-clock "$@" -- sleep 0.2 2>&1)"
  rc=$?
  printf '%-9s %-3s rc=%-3s %s\n' "$label" "$([ "$rc" = 0 ] && echo OK || echo NO)" "$rc" \
    "$(printf '%s\n' "$out" | grep -m1 -E 'task-clock|Error' | cut -c1-50)"
}

echo "kernel $(uname -r)"
for level in 3 2 1 0 -1; do
  echo "$level" >/proc/sys/kernel/perf_event_paranoid
  for perf in /usr/bin/perf "$BIN/perf-perfmon" "$BIN/perf-ptrace"; do
    echo "== paranoid $level $(basename "$perf")"
    cell own "$perf" -p "$OWN"
    cell root "$perf" -p "$ROOT_PROC"
    cell nondump "$perf" -p "$NOT_DUMPABLE"
    cell system "$perf" -a
  done
done
