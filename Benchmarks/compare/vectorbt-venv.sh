#!/usr/bin/env bash
# Creates (once) the Python venv with vectorbt for the sweep comparison of `make bench`, and prints
# its path. Fails with a message on stderr when Python, venv or PyPI is unavailable.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${WICK_VECTORBT_VENV:-$root/out/vectorbt-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import vectorbt" 2>/dev/null; then
  echo "compare: creating $VENV (pip install vectorbt)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "vectorbt==1.2.*" >&2
fi
echo "$VENV"
