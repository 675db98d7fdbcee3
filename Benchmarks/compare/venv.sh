#!/usr/bin/env bash
# Creates (once) the Python venv with backtesting.py and pandas for the comparison, and prints its
# path. Fails with a message on stderr when Python, venv or PyPI is unavailable.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${WICK_COMPARE_VENV:-$root/out/compare-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import backtesting, pandas" 2>/dev/null; then
  echo "compare: creating $VENV (pip install backtesting pandas)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q backtesting pandas >&2
fi
echo "$VENV"
