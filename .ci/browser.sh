#!/usr/bin/env bash
# CI: what the dashboard's browser test needs. Debian's chromium (Playwright's
# own browser downloads are not used), npm, and Solara's front-end files in
# Solara's asset cache (taken from the npm registry: its CDN may be out of reach).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null || ! command -v npm >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium npm >/dev/null
fi
echo "== $(chromium --version 2>/dev/null | head -1)"
uv run --extra dev python .ci/solara_assets.py
