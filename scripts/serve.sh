#!/usr/bin/env bash
# Installs what is missing, starts the embedded SecantusDB, loads dictionaries and demo data,
# prints the demo logins and serves http://127.0.0.1:8000 . Takes the options of `python -m app serve`
# (--host, --port, --no-seed, --workers N), e.g. ./scripts/serve.sh --port 8350
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m app serve "$@"
