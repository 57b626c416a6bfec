#!/usr/bin/env bash
# Set up .venv for this checkout. Idempotent: re-running only installs what is missing.
#   scripts/setup.sh site   — the catalog tools and the website (no PyTorch)
#   scripts/setup.sh test   — everything the test suite needs: PyTorch (CPU), dev tools, Chromium
# Each step says what it does; pip and apt-get print their own progress below it.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-site}
python=${PYTHON:-python3}
# PyTorch's CPU wheels, as on pytorch.org's install page: PyPI's `torch` is the CUDA build
# (several GB of NVIDIA libraries). Set TORCH_INDEX_URL to another index to override.
torch_index=${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}

step() { echo "setup: $*" >&2; }

if [ ! -x .venv/bin/python ]; then
  step "creating .venv with $("$python" --version 2>&1)"
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --disable-pip-version-check --progress-bar off)

if [ "$target" = test ]; then
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    step "installing PyTorch 2.13.0 (CPU build) from $torch_index — about 200 MB"
    # Only torch from that index; its small dependencies come with the next step from PyPI.
    "${pip[@]}" --no-deps "torch==2.13.0" --index-url "$torch_index"
  fi
  step "installing aladin-zoo (editable) with the zoo, bench, llm, deploy, site and dev extras"
  "${pip[@]}" -e ".[zoo,bench,llm,deploy,site,dev]"
  # Browser tests drive Debian's Chromium; test tools cannot download their own browser here.
  # A CJK font lets the screenshots show the Chinese names instead of boxes.
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing Debian packages for the browser tests with apt-get (needs root or sudo): ${missing[*]}"
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
  fi
  # The accessibility tests inject axe-core, from npm, into the built pages.
  if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ]; then
    echo "setup: installing axe-core from npm for the accessibility tests" >&2
    npm install --no-save --no-audit --no-fund --prefix .cache/npm axe-core@4
  fi
else
  step "installing aladin-zoo (editable) with the site extra (no PyTorch)"
  "${pip[@]}" -e ".[site]"
fi
step "done: .venv is ready for '$target'"
