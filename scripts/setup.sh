#!/usr/bin/env bash
# Set up .venv for this checkout. Idempotent: re-running only installs what is missing.
#   scripts/setup.sh site   — the catalog tools and the website (no PyTorch)
#   scripts/setup.sh test   — everything the test suite needs: PyTorch (CPU), dev tools, Chromium
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-site}
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

if [ "$target" = test ]; then
  # Exactly this CPU build: a bare `torch` requirement would pull a multi-GB CUDA build.
  .venv/bin/python -c "import torch" 2>/dev/null || "${pip[@]}" "torch==2.13.0"
  "${pip[@]}" -e ".[zoo,site,dev]"
  # Browser tests drive Debian's Chromium; test tools cannot download their own browser here.
  # A CJK font lets the screenshots show the Chinese names instead of boxes.
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages for the browser tests: ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  "${pip[@]}" -e ".[site]"
fi
