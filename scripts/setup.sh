#!/usr/bin/env bash
# Install what is missing on a fresh machine (idempotent: a second run installs nothing).
# SETUP_DRY_RUN=1 prints each install command it would run instead of running it (nothing printed:
# nothing is missing). PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd -P)  # the checkout, taken here: inside `(cd / && ...)` below, $PWD is /
PY=${PYTHON:-python3}

install() {  # run an install command, or only print it under SETUP_DRY_RUN=1
  if [ "${SETUP_DRY_RUN:-0}" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

# Debian packages the tests need; installed only when absent.
APT_PACKAGES=(blender chromium)  # blender: the CLEVR renderer (vqa render) and its test; chromium: the app's browser tests
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  install apt-get update -qq
  install env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# torch first, exactly pinned (pip takes it from the local disk on the project's machines).
if ! $PY -c "import torch, torchvision, sys; sys.exit(torch.__version__.split('+')[0] != '2.14.1')" 2>/dev/null; then
  install $PY -m pip install torch==2.14.1 torchvision==0.29.1
fi
# detectron2 has no wheel: build it from source after torch (about 70 s). From the vendored
# upstream tarball when ../shared is beside the repository, else from the official git repository.
# Its setup.py imports pkg_resources, which setuptools 81 removed.
if ! $PY -c "import detectron2" 2>/dev/null; then
  install $PY -m pip install -q "setuptools<81"
  D2_TARBALL=../shared/vendor/detectron2-02b5c4e.tar.gz
  if [ -f "$D2_TARBALL" ]; then
    install $PY -m pip install -q --no-build-isolation "$D2_TARBALL"
  else
    install $PY -m pip install -q --no-build-isolation "git+https://github.com/facebookresearch/detectron2.git@02b5c4e"
  fi
fi
# The package with its dev extras, when `import vqa` does not find this checkout or a requirement of
# pyproject.toml is missing or of the wrong version. Checked from another folder, so that `import vqa`
# cannot find this checkout through the working directory: an install of some other checkout (a
# stale editable one) must be replaced, or subprocess tests fail.
if ! (cd / && $PY - "$REPO" 2>/dev/null <<'EOF'
import importlib.metadata as md
import os
import sys

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement

import vqa

repo = os.path.realpath(sys.argv[1])
if not os.path.realpath(vqa.__file__).startswith(repo + os.sep):
    sys.exit(1)  # another checkout's vqa
with open(os.path.join(repo, "pyproject.toml"), "rb") as f:
    project = tomllib.load(f)["project"]
for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
    req = Requirement(line)
    try:
        version = md.version(req.name)
    except md.PackageNotFoundError:
        sys.exit(1)
    if not req.specifier.contains(version, prereleases=True):
        sys.exit(1)
EOF
); then
  install $PY -m pip install -q -e ".[dev]"
fi
