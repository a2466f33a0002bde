#!/usr/bin/env bash
# Sets up mnemonet on a fresh Debian/Ubuntu machine, then installs it.
#   scripts/setup.sh           system packages (when missing), then `pip install .`
#   scripts/setup.sh --test    the same, plus what the whole test suite needs: the [test] extra (pytest, hypothesis,
#                              nbclient, ipykernel for the notebook test) and the [ray] extra (Ray Tune, the replay actor)
# System packages are installed with apt-get when run as root (or with password-less sudo); otherwise the
# command to run is printed and the script stops. PYTHON selects the interpreter (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=""
[ "${1:-}" = "--test" ] && extras="[test,ray]"

missing=()
for pkg in libopenblas-dev python3-dev python3-numpy; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "mnemonet setup: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "mnemonet setup: missing system packages. Run:  sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

if ! command -v swift >/dev/null && [ ! -x /opt/swift/usr/bin/swift ]; then
    echo "mnemonet setup: the Swift 6 toolchain is needed to build (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

# The build's own prerequisite check (Python headers, Swift, cblas.h, libopenblas): one sentence and stop if one is missing.
# (pip runs the same check inside the build; here it needs setuptools and numpy in this interpreter already.)
if "$PYTHON" -c "import setuptools, numpy" 2>/dev/null; then
    PYTHONWARNINGS=ignore "$PYTHON" setup.py -q check_build_env >/dev/null
fi

"$PYTHON" -m pip install --disable-pip-version-check -q ".${extras}"
echo "mnemonet setup: installed $("$PYTHON" -c 'import mnemonet; print(mnemonet.__version__)')"
