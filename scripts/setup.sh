#!/usr/bin/env bash
# Set up everything clusterforge needs on a fresh Debian machine, idempotently:
#   scripts/setup.sh          the virtualenv (.venv) with pinned packages, and Graphviz
#   scripts/setup.sh --test   the same plus the Debian packages the test suite uses
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

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
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${as_root[*]}" = "none" ]; then
    echo "setup: not root, so these Debian packages stay missing: ${missing[*]}" >&2
    case " ${missing[*]} " in *" graphviz "*)
      echo "setup: without graphviz, clusterforge render writes graph.dot and says it skipped graph.svg" >&2;;
    esac
    echo "setup: to add them later, as root: apt-get install ${missing[*]}" >&2
  else
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
fi

python=${PYTHON:-python3}
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv; then
    rm -rf .venv
    echo "setup: $python cannot make a virtualenv; install python3-venv (Debian) or set PYTHON" >&2
    exit 1
  fi
fi
# Reinstall only when the pins changed.
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  cp requirements.txt "$stamp"
fi

# The real-control-plane and real-CLI tiers of the tests need the toolchain built from
# Go modules (cached by version: a warm machine skips this in seconds).
if [ "$want_test" = 1 ]; then
  scripts/toolchain.sh $(sed -n 's/^CI_TOOLS="\(.*\)"/\1/p' toolchain/versions.env) >/dev/null
fi
