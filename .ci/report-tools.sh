#!/usr/bin/env bash
# Install (if needed) what the report tests open the reports with: Debian's Chromium (headless, apt-get; it also
# prints the PDFs, read back with the pip wheel pypdfium2 from the test extra), a font for it, and the
# Allure command line from the npm registry into .ci/tools: Allure 3 (npm `allure`, needs Node.js 20+), else
# Allure 2 (npm `allure-commandline`, needs Java). Runs as root, or through sudo. Idempotent. Prints the path of the
# allure executable on stdout; everything else goes to stderr.
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        echo "report-tools: not root and no sudo: cannot run $*" >&2
        return 1
    fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        apt_updated=yes
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

command -v chromium >/dev/null 2>&1 || apt_install chromium
# the PDF tests read the printed text back: Chromium needs a font to print with (no recommends are installed)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || apt_install fonts-dejavu-core
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
if [ ! -x tools/node_modules/.bin/allure ]; then
    if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
        package=allure@3
    else
        package=allure-commandline@2
        command -v java >/dev/null 2>&1 || apt_install default-jre-headless
    fi
    npm install --silent --no-audit --no-fund --prefix tools "$package" >&2
fi
tools/node_modules/.bin/allure --version >&2  # a command line that cannot start fails here, not in the tests
echo "$PWD/tools/node_modules/.bin/allure"
