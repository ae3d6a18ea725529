#!/usr/bin/env bash
# Install what is missing, then run the whole test suite (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
exec ${PYTHON:-python3} -m pytest -q "$@"
