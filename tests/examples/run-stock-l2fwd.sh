#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-stock-l2fwd.sh PLUGIN PMD PROFILE - DPDK's own examples/l2fwd (the
# source Debian's dpdk-doc ships, built here against the installed DPDK)
# WITHOUT -m forwards between two net_spapr_model ports with no DMA fault.
# Its 8192-mbuf pool is heap growth after the plugin's probe; a window
# sized for the memory present at probe could not map it, and mempool
# populate then gave the NIC physical addresses.
# Exit 77 (skip) without the l2fwd source (apt-get install dpdk-doc), a C
# compiler and pkg-config's libdpdk, root or hugepages.
set -u
plugin=$1
pmd=$2
profile=$3
src=/usr/share/dpdk/examples/l2fwd/main.c

[ -r "$src" ] || { echo "SKIP: $src not found (apt-get install dpdk-doc)"; exit 77; }
for t in cc pkg-config; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
pkg-config --exists libdpdk || { echo "SKIP: pkg-config has no libdpdk (apt-get install dpdk-dev)"; exit 77; }
work=$(mktemp -d)
app=$work/l2fwd
# shellcheck disable=SC2046
cc -O2 -w -o "$app" "$src" $(pkg-config --cflags --libs libdpdk) ||
	{ echo "FAIL: DPDK's l2fwd does not build"; rm -rf "$work"; exit 1; }

. "$(dirname "$0")/../lib/testpmd-env.sh"
dpdk_app_env "$app" "$plugin" "$pmd"
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

prefix=spapr-stock-l2fwd-$$
# l2fwd runs until SIGINT, then closes its ports; -T 1: statistics every second.
out=$(timeout -s INT 4 "$app" -l 0-1 --no-pci --no-telemetry --file-prefix "$prefix" \
	--huge-dir "$huge" --huge-unlink -d "$plugin" -d "$pmd" \
	-a "bus=spapr,backend=model,profile=$profile" \
	--vdev net_spapr_model0 --vdev net_spapr_model1 -- -p 0x3 -T 1 2>&1)
rm -rf "/var/run/dpdk/$prefix" "$work"
echo "$out" | grep -E "spapr: (plan|memory|refused)|DMA fault|net_spapr_model: PE|Bye" | tail -8
sent=$(echo "$out" | awk '/Total packets sent:/ { n = $NF } END { print n + 0 }')
echo "last total packets sent: $sent"
fail=0
echo "$out" | grep -qE "spapr: plan: container 0 .*, room" || { echo "FAIL: no plan line with its room"; fail=1; }
echo "$out" | grep -q "spapr: memory .* cannot" && { echo "FAIL: memory growth was not mapped"; fail=1; }
echo "$out" | grep -q "DMA fault" && { echo "FAIL: a DMA fault"; fail=1; }
echo "$out" | grep -qE "net_spapr_model: PE 0: [1-9][0-9]* DMA checks, [0-9]+ bytes, 0 faults" ||
	{ echo "FAIL: no 'PE 0: ... 0 faults' line from the PMD at exit"; fail=1; }
[ "$sent" -gt 0 ] || { echo "FAIL: nothing forwarded"; fail=1; }
echo "$out" | grep -q "^Bye" || { echo "FAIL: l2fwd did not exit cleanly"; fail=1; }
exit $fail
