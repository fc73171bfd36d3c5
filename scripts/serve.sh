#!/usr/bin/env bash
# Installs what is missing, starts the embedded SecantusDB, loads dictionaries and demo data,
# prints the demo logins and serves http://127.0.0.1:8000 .
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m app serve "$@"
