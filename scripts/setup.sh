#!/usr/bin/env bash
# Set up everything clusterforge needs on a fresh Debian machine, idempotently:
#   scripts/setup.sh          the virtualenv (.venv) with pinned packages, and Graphviz
#   scripts/setup.sh --test   the same plus the Debian packages the test suite uses
#   scripts/setup.sh --plan [--test]   say what would be done (and what needs root or the
#                             network), do nothing
# Before anything starts it says which steps need root or the network; each step says
# what it does, k of n, and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0 plan_only=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --plan) plan_only=1 ;;
    *) echo "setup: unknown option $arg (use --test, --plan)" >&2; exit 2 ;;
  esac
done
started=$(date +%s)
step_no=0
step() {  # step WHAT: one line per step, k of n and the time so far
  step_no=$((step_no + 1))
  echo "setup: [$step_no/$steps_total] $1 ($(( $(date +%s) - started ))s so far)"
}

# Debian packages: graphviz draws the render's graph; the test list adds what the
# throwaway test hosts need (debootstrap, sshd, iproute2, ...).
packages=(graphviz)
if [ "$want_test" = 1 ]; then
  mapfile -t extra < <(grep -v '^\s*#' .ci/apt-packages.txt | sed '/^\s*$/d')
  packages+=("${extra[@]}")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Root installs them; anyone else uses sudo when it needs no password, else goes on without
# them: Graphviz only draws graph.svg (render says it skipped the picture), and the test
# packages only serve the throwaway test hosts.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo -n); else as_root=(none); fi
fi

python=${PYTHON:-python3}
stamp=.venv/.installed
need_venv=0; [ -x .venv/bin/python ] || need_venv=1
need_pip=0; { [ -f "$stamp" ] && cmp -s requirements.txt "$stamp"; } || need_pip=1
pinned=$(grep -cv '^\s*\(#\|$\)' requirements.txt)
# What is to be done, said before anything starts, with what needs root or the network.
plan=()
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${as_root[*]}" = "none" ]; then plan+=("Debian packages ${missing[*]}: skipped, not root (see below)")
  else plan+=("Debian packages ${missing[*]}: needs root (apt-get${as_root[*]:+, through sudo}) and the network (Debian's mirror)"); fi
fi
[ "$need_venv" = 1 ] && plan+=("the virtualenv .venv ($python -m venv)")
[ "$need_pip" = 1 ] && plan+=("$pinned pinned Python packages and their dependencies into .venv: needs the network (PyPI)")
[ "$want_test" = 1 ] && plan+=("the test toolchain (scripts/toolchain.sh; a tool not built yet needs the network: Go module proxy)")
steps_total=${#plan[@]}
if [ "$steps_total" -eq 0 ]; then
  echo "setup: nothing to do (Debian packages present, .venv matches requirements.txt)"
else
  echo "setup: $steps_total step(s):"
  printf 'setup:   - %s\n' "${plan[@]}"
fi
[ "$plan_only" = 1 ] && exit 0

if [ "${#missing[@]}" -gt 0 ]; then
  step "Debian packages: ${missing[*]}"
  if [ "${as_root[*]}" = "none" ]; then
    echo "setup: not root, so these Debian packages stay missing: ${missing[*]}" >&2
    case " ${missing[*]} " in *" graphviz "*)
      echo "setup: without graphviz, clusterforge render writes graph.dot and says it skipped graph.svg" >&2;;
    esac
    echo "setup: to add them later, as root: apt-get install ${missing[*]}" >&2
  else
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
fi

if [ "$need_venv" = 1 ]; then
  step "the virtualenv .venv"
  if ! "$python" -m venv .venv; then
    rm -rf .venv
    echo "setup: $python cannot make a virtualenv; install python3-venv (Debian) or set PYTHON" >&2
    exit 1
  fi
fi
# Reinstall only when the pins changed.
if [ "$need_pip" = 1 ]; then
  step "$pinned pinned Python packages and their dependencies (from PyPI)"
  # One line per package pip takes in: how far it is (the total with dependencies is pip's to know).
  if ! .venv/bin/pip install --disable-pip-version-check --progress-bar off -r requirements.txt |
      awk '/^Collecting /{n++; printf "setup:   %d. %s\n", n, $2; fflush()} /^Successfully installed/{print "setup:   installed"}'; then
    echo "setup: pip could not install requirements.txt (its messages above)" >&2
    exit 1
  fi
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  cp requirements.txt "$stamp"
fi

# The real-control-plane and real-CLI tiers of the tests need the toolchain built from
# Go modules (cached by version: a warm machine skips this in seconds).
if [ "$want_test" = 1 ]; then
  step "the test toolchain (each tool k of n, cached ones in seconds)"
  scripts/toolchain.sh $(sed -n 's/^CI_TOOLS="\(.*\)"/\1/p' toolchain/versions.env) >/dev/null
fi
[ "$steps_total" -eq 0 ] || echo "setup: done in $(( $(date +%s) - started ))s"
