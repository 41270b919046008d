#!/usr/bin/env bash
# CI: what the dashboard's browser tests need. Debian's chromium (Playwright's own
# browser downloads are not used), npm, and the dashboard's browser files (Solara's
# front end), fetched from the npm registry into the project's asset folder
# (sim/dashboard/assets.py: $SIM_APP_ASSETS, else ~/.cache/sim/app-assets), as the first
# `sim app` on a machine does. The tests themselves then run with no network.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# only what is missing: a machine with NodeSource's nodejs has npm already, and Debian's
# npm package conflicts with it ("held broken packages")
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "== $(chromium --version 2>/dev/null | head -1), npm $(npm --version)"
uv run --extra dev python -m sim.app_assets
