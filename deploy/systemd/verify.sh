#!/bin/bash
# Checks the units with `systemd-analyze verify` without installing anything: a scratch root
# holds this machine's systemd units, a stand-in /usr/local/bin/wick and ours. systemd reports
# unknown keys and bad values as warnings with exit status 0, so any output is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib" "$root/etc/systemd/system" "$root/usr/local/bin"
cp -r /usr/lib/systemd "$root/usr/lib/"
printf '#!/bin/sh\n' > "$root/usr/local/bin/wick" && chmod +x "$root/usr/local/bin/wick"
cp "$here"/*.service "$root/etc/systemd/system/"
out=$(systemd-analyze verify --man=no --root="$root" wick-run@paper.service wick-serve.service 2>&1) || {
  echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; exit 1; fi
echo "systemd-analyze verify: wick-run@.service and wick-serve.service are clean"
