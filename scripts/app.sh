#!/usr/bin/env bash
# Install what is missing, then start the web app on the shipped weights (http://127.0.0.1:7860).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
exec ${PYTHON:-python3} app.py "$@"
