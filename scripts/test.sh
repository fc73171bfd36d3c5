#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite against a real database server
# (an embedded SecantusDB started by the tests, or MONGODB_URI when set) and Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
