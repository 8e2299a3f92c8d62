# shellcheck shell=bash
# Common environment for the test scripts. Source it; do not execute it.
#
#   REPO    collection checkout (this repository's root)
#   CACHE   everything the tests download or build (venv, images, logs, builds)
#   VENV    Python venv for the tests, keyed on tests/requirements*.txt (incl. requirements-constraints.txt)
#   CHECK_VENV  the main job's venv (scripts/check): only the ansible-core of tests/requirements.txt
#   DOCS_VENV   the docsite's venv (scripts/build-docs): scripts/docsite/*.txt and that ansible-core
#
# Sourcing it also (re)creates $CACHE/collections/ansible_collections/debugready/ptrace
# as a symlink to REPO, writes $CACHE/containers.conf and exports the variables that
# make ansible, molecule, podman and pytest use them. Nothing outside $CACHE is changed.

# Python used to create the venv: Debian's own interpreter, whatever else is on PATH.
DEBUGREADY_PYTHON="${DEBUGREADY_PYTHON:-/usr/bin/python3}"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE="${DEBUGREADY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/debugready}"
mkdir -p "$CACHE" "$CACHE/logs"
CACHE="$(cd "$CACHE" && pwd -P)"

_req_hash="$({ cat "$REPO"/tests/requirements*.txt 2>/dev/null || true; } | sha256sum | cut -c1-12)"
VENV="$CACHE/venv-$_req_hash"
# The main job's venv (scripts/check): ansible-core alone (CHECK_PIN, the test venv's pin) and the constraints.
CHECK_PIN="$(grep -E '^ansible-core==' "$REPO/tests/requirements.txt" 2>/dev/null || true)"
_req_hash="$({ echo "$CHECK_PIN"; cat "$REPO/tests/requirements-constraints.txt"; } 2>/dev/null | sha256sum | cut -c1-12)"
CHECK_VENV="$CACHE/check-venv-$_req_hash"
_req_hash="$({ echo "$CHECK_PIN"; cat "$REPO"/scripts/docsite/*.txt; } 2>/dev/null | sha256sum | cut -c1-12)"
DOCS_VENV="$CACHE/docs-venv-$_req_hash"
unset _req_hash

# One collections path (and sanity tree) per checkout, so two checkouts can be tested at once.
CHECKOUT_ID="$(printf '%s' "$REPO" | sha256sum | cut -c1-12)"
COLLECTIONS_ROOT="$CACHE/collections/$CHECKOUT_ID"
COLLECTION_DIR="$COLLECTIONS_ROOT/ansible_collections/debugready/ptrace"
mkdir -p "$(dirname "$COLLECTION_DIR")"
if [ -e "$COLLECTION_DIR" ] && [ ! -L "$COLLECTION_DIR" ]; then
  echo "lib.sh: $COLLECTION_DIR exists and is not a symlink; remove it" >&2
  return 1
fi
# Recreated every time so that a checkout in another folder is the one tested.
ln -sfn "$REPO" "$COLLECTION_DIR"

export REPO CACHE VENV CHECK_VENV CHECK_PIN DOCS_VENV COLLECTIONS_ROOT COLLECTION_DIR
# uv's cache (scripts/setup-core-venv), on the venvs' file system: their files are hard links into it.
export UV_CACHE_DIR="$CACHE/uv-cache"

# Only our collections dir; collections shipped in the venv (the `ansible` package's
# containers.podman etc.) are found on sys.path by ansible-core itself.
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_ROOT"
export ANSIBLE_FORCE_COLOR=0
export ANSIBLE_NOCOLOR=1
export ANSIBLE_NOCOWS=1
export ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_HOST_KEY_CHECKING=0
export ANSIBLE_LOCAL_TEMP="$CACHE/ansible-tmp"
export ANSIBLE_DEPRECATION_WARNINGS="${ANSIBLE_DEPRECATION_WARNINGS:-0}"
export PY_COLORS=0
export NO_COLOR=1
export TERM="${TERM:-dumb}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1
export DEBIAN_FRONTEND=noninteractive

# podman: our own containers.conf (never touch /etc/containers/containers.conf).
# nofile: the hard limit we have (no CAP_SYS_RESOURCE to raise it); nproc <= 32768.
_nofile="$(ulimit -Hn)"
[ "$_nofile" = unlimited ] && _nofile=1048576
_nproc="$(ulimit -Hu)"
if [ "$_nproc" = unlimited ] || [ "$_nproc" -gt 32768 ]; then _nproc=32768; fi
export CONTAINERS_CONF="$CACHE/containers.conf"
_conf="[containers]
default_ulimits = [\"nofile=$_nofile:$_nofile\", \"nproc=$_nproc:$_nproc\"]

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\""
if [ ! -f "$CONTAINERS_CONF" ] || [ "$(cat "$CONTAINERS_CONF")" != "$_conf" ]; then
  printf '%s\n' "$_conf" >"$CONTAINERS_CONF.tmp.$$"
  mv -f "$CONTAINERS_CONF.tmp.$$" "$CONTAINERS_CONF"
fi
unset _nofile _nproc _conf

# Image built by tests/images/build-image and used by molecule/*/molecule.yml.
export DEBUGREADY_IMAGE="localhost/debugready-apache:bookworm"

# Put the venv's tools (ansible*, molecule, pytest) first on PATH, once it exists.
activate_venv() {
  if [ -x "$VENV/bin/python" ]; then
    export VIRTUAL_ENV="$VENV"
    case ":$PATH:" in *":$VENV/bin:"*) ;; *) export PATH="$VENV/bin:$PATH" ;; esac
  fi
}
activate_venv

# ---- helpers -------------------------------------------------------------

now() { date +%s.%N; }

# elapsed START -> "12.3s"
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1fs", e - s }'; }

# say TAG message...   (to stderr so that stdout stays clean)
say() { local tag=$1; shift; printf '[%s] %s\n' "$tag" "$*" >&2; }

# run_rc cmd...: run cmd (a command or a shell function) in a subshell with errexit in
# force, whatever the caller's context, and put its exit status in RC. Always returns 0.
# (A function called from `if`, `||` or `&&` runs with errexit ignored; this avoids that.)
RC=0
run_rc() {
  local had_e=0
  case $- in *e*) had_e=1 ;; esac
  set +e
  (set -e; "$@")
  RC=$?
  if [ "$had_e" = 1 ]; then set -e; fi
  return 0
}

# quiet LOGFILE cmd...: run cmd with its output in LOGFILE; show the log's end if it fails.
quiet() {
  local log=$1; shift
  run_rc "$@" >"$log" 2>&1 </dev/null
  if [ "$RC" -ne 0 ]; then
    echo "---- command failed (exit $RC): $*" >&2
    echo "---- last 200 lines of $log:" >&2
    tail -n 200 "$log" >&2
    return "$RC"
  fi
}

# timed TAG LABEL cmd...: run cmd and print how long it took; returns cmd's status.
timed() {
  local tag=$1 label=$2; shift 2
  local t0
  t0="$(now)"
  run_rc "$@"
  if [ "$RC" -eq 0 ]; then
    say "$tag" "$label: $(elapsed "$t0")"
  else
    say "$tag" "$label: FAILED (exit $RC) after $(elapsed "$t0")"
  fi
  return "$RC"
}

# sanity_tree: print the path of a real ansible_collections/debugready/ptrace directory
# holding a fresh copy of the checkout's files, for ansible-test. (ansible-test takes its
# location from os.getcwd(), which resolves symlinks, so $COLLECTION_DIR cannot be used.)
# Copied: what git tracks plus untracked files that are not ignored (or, outside git,
# everything but caches and outputs). Deleted files disappear from the copy too.
sanity_tree() {
  local dest="$CACHE/sanity/$CHECKOUT_ID/ansible_collections/debugready/ptrace"
  "$DEBUGREADY_PYTHON" - "$REPO" "$dest" <<'PY'
import os, shutil, subprocess, sys
repo, dest = sys.argv[1], sys.argv[2]
try:
    out = subprocess.run(
        ["git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True).stdout
    files = [f for f in out.decode().split("\0") if f]
except (OSError, subprocess.CalledProcessError):
    skip = {".git", "tests/output", ".pytest_cache", ".hypothesis", "__pycache__", ".tox"}
    files = []
    for root, dirs, names in os.walk(repo):
        rel = os.path.relpath(root, repo)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in skip and d not in skip]
        files += [os.path.normpath(os.path.join(rel, n)) for n in names]
if os.path.isdir(dest):
    shutil.rmtree(dest)
os.makedirs(dest)
for f in sorted(set(files)):
    src = os.path.join(repo, f)
    if not os.path.lexists(src):
        continue  # deleted in the work tree
    dst = os.path.join(dest, f)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
    else:
        shutil.copy2(src, dst)
print(dest)
PY
}
