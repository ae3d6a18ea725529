#!/usr/bin/env bash
# Install what is missing on a fresh machine (idempotent: a second run installs nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian packages the tests need (browser tests, renderer); installed only when absent.
APT_PACKAGES=()
if [ ${#APT_PACKAGES[@]} -gt 0 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

# torch first, exactly pinned (pip takes it from the local disk on the project's machines).
if ! $PY -c "import torch, torchvision, sys; sys.exit(torch.__version__.split('+')[0] != '2.14.1')" 2>/dev/null; then
  $PY -m pip install torch==2.14.1 torchvision==0.29.1
fi
if ! $PY -c "import vqa, pytest, nbclient" 2>/dev/null || [ pyproject.toml -nt .setup-stamp ]; then
  $PY -m pip install -q -e ".[dev]"
  touch .setup-stamp
fi
