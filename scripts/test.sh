#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh --test), then runs all tests: the Swift core's (swift test) and the Python
# package's (pytest). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
PYTHON=${PYTHON:-python3}

echo "== swift test (release) =="
swift test -c release 2>&1 | grep -v -E '^(◇|↳)|started\.$' || { echo "swift test failed" >&2; exit 1; }

echo "== pytest =="
# Run from python/tests' parent with the installed package (not the source tree) on the path.
"$PYTHON" -m pytest -q -p no:cacheprovider python/tests "$@"
