# shellcheck shell=bash
# Common setup of bench/run and bench/report. Source it; do not execute it.
#   BENCH_VENV  a venv with bench/requirements.txt (matplotlib), under $CACHE, keyed on a hash of that file
# scripts/lib.sh supplies REPO, CACHE, VENV, CONTAINERS_CONF, ANSIBLE_COLLECTIONS_PATH and the helpers.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

_bench_hash="$(sha256sum <"$REPO/bench/requirements.txt" | cut -c1-12)"
BENCH_VENV="$CACHE/bench-venv-$_bench_hash"
unset _bench_hash
export BENCH_VENV

# ensure_bench_venv: create $BENCH_VENV once (a marker file makes re-runs instant); drop older ones.
ensure_bench_venv() {
  local old
  if [ ! -f "$BENCH_VENV/.debugready-complete" ]; then
    rm -rf "$BENCH_VENV"
    "$DEBUGREADY_PYTHON" -m venv "$BENCH_VENV"
    quiet "$CACHE/logs/bench-pip-install.log" "$BENCH_VENV/bin/python" -m pip install \
      --disable-pip-version-check --no-input -r "$REPO/bench/requirements.txt"
    touch "$BENCH_VENV/.debugready-complete"
  fi
  for old in "$CACHE"/bench-venv-*; do
    if [ -d "$old" ] && [ "$old" != "$BENCH_VENV" ]; then rm -rf "$old"; fi
  done
}
