#!/usr/bin/env bash
# Install (if needed) what the report tests open the reports with: Debian's Chromium (headless) and the Allure 3
# command line from the npm registry, into .ci/tools. Prints the path of the allure executable. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -x tools/node_modules/.bin/allure ]; then
    npm install --silent --no-audit --no-fund --prefix tools allure@3 >/dev/null 2>&1
fi
echo "$PWD/tools/node_modules/.bin/allure"
