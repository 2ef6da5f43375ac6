#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The differential check must read the kernel's records through the powernv
# firmware's own console lines: skiboot prints "[secs.nanosecs,level] ..."
# lines (e.g. "SBE: Timer stuck" when QEMU runs slowly) on the console the
# records travel on, and one can start in the middle of a record line.
# This replays a saved record file with such lines put inside record lines
# and between them, and expects the same agreement as the clean file.
#   replay-firmware-noise.sh DIFF_PROGRAM DATA_DIR OVERRIDES KNOWN
set -euo pipefail
diff_prog=$1 data=$2 overrides=$3 known=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every 40th record is cut after its 20th character by two firmware lines;
# every 50th line is followed by a firmware line of its own.
awk '
/^@@ S / && ++n % 40 == 0 {
	printf "%s[  252.403179410,3] SBE: Timer stuck, falling back to OPAL pollers.\n", substr($0, 1, 20)
	print "[  252.403906657,3] SBE: You will likely have slower I2C and may have experienced increased jitter."
	print substr($0, 21)
	cut++
	next
}
{ print }
NR % 50 == 0 { print "[  253.000000001,5] OPAL: a firmware line of its own" }
END { if (cut == 0) exit 1 }' "$data/powernv9.txt" >"$tmp/noisy.txt"

grep -q 'SBE: Timer stuck' "$tmp/noisy.txt"
if ! "$diff_prog" --guest "$tmp/noisy.txt" --machine powernv9 \
	--overrides "$overrides" --known "$known" >"$tmp/out" 2>&1; then
	cat "$tmp/out"
	echo "FAIL: firmware console lines inside records broke the comparison"
	exit 1
fi
tail -n 3 "$tmp/out"
echo "ok: records cut by firmware console lines are read whole"
