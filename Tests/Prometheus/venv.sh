#!/usr/bin/env bash
# Creates (once) the Python venv with the official Prometheus client, the way
# Benchmarks/compare/venv.sh makes make compare's, and prints its path. Fails with a message on
# stderr when Python, venv or PyPI is unavailable.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${WICK_PROMETHEUS_VENV:-$root/out/prometheus-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import prometheus_client" 2>/dev/null; then
  echo "prometheus: creating $VENV (pip install prometheus_client)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q prometheus_client >&2
fi
echo "$VENV"
