#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite against a real database server
# (an embedded SecantusDB started by the tests, or MONGODB_URI when set) and Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Two pytest-xdist workers by default (ZC_TEST_WORKERS=0: one process), each with its own database server, database and var/
# (tests/conftest.py); a test file stays on one worker, so a module's shared fixtures are built once.
exec .venv/bin/python -m pytest -n "${ZC_TEST_WORKERS:-2}" --dist loadfile "$@"
