#!/usr/bin/env bash
# Install what is missing on a fresh machine (idempotent: a second run installs nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian packages the tests need (browser tests, renderer); installed only when absent.
APT_PACKAGES=(blender chromium)  # blender: the CLEVR renderer (vqa render) and its test; chromium: the app's browser tests
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
# detectron2 has no wheel: build it from source after torch (about 70 s here). From the vendored
# upstream tarball when ../shared is beside the repository, else from the official git repository.
# Its setup.py imports pkg_resources, which setuptools 81 removed.
if ! $PY -c "import detectron2" 2>/dev/null; then
  $PY -m pip install -q "setuptools<81"
  D2_TARBALL=../shared/vendor/detectron2-02b5c4e.tar.gz
  if [ -f "$D2_TARBALL" ]; then
    $PY -m pip install -q --no-build-isolation "$D2_TARBALL"
  else
    $PY -m pip install -q --no-build-isolation "git+https://github.com/facebookresearch/detectron2.git@02b5c4e"
  fi
fi
# from another folder, so that `import vqa` cannot find this checkout through the working directory:
# an install of some other checkout (a stale editable one) must be replaced, or subprocess tests fail
if ! (cd / && $PY -c "import vqa, pytest, nbclient, sys; sys.exit(not vqa.__file__.startswith(sys.argv[1]))" "$PWD/") 2>/dev/null \
   || [ pyproject.toml -nt .setup-stamp ]; then
  $PY -m pip install -q -e ".[dev]"
  touch .setup-stamp
fi
