#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-hotplug.sh PLUGIN PMD PROFILE - stock dpdk-testpmd detaches a port
# and attaches it again, the two ways testpmd has, and forwards again with
# no DMA fault each time:
#   port stop all / port close 1 / device detach net_spapr_model1
#   port stop all / port detach 1
# each followed by
#   port attach net_spapr_model1,group=1 / port start all
# (testpmd 22.11 releases a closed port, so "port detach 1" after
# "port close 1" answers "Invalid port_id=1": a closed port is detached by
# its device name.) Port 1 is a PE of its own (group 1). pseries: on detach
# its IOMMU group leaves the plugin's set-up (its container and window go),
# on attach it gets them again before the PMD runs. PowerNV: the group is
# parked on detach (it stays attached to the shared container, whose TCEs a
# detach would clear for port 0 too) and is in use again on attach.
# Exit 77 (skip) without root, hugepages or dpdk-testpmd.
set -u
plugin=$1
pmd=$2
profile=$3

. "$(dirname "$0")/../lib/testpmd-env.sh"
testpmd_env "$plugin" "$pmd"
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

prefix=spapr-hotplug-$$
cycle() {
	echo "port stop all"
	case $1 in
	close) echo "port close 1"; echo "device detach net_spapr_model1" ;;
	*) echo "port detach 1" ;;
	esac
	echo "port attach net_spapr_model1,group=1"; echo "port start all"
	echo "clear port stats all"; echo start; sleep 1; echo stop
	echo "show port xstats all"
}
# testpmd runs commands in order; the sleeps only let frames flow.
out=$( { echo start; sleep 1; echo stop; cycle close; cycle stopped; echo quit; } |
	timeout 60 dpdk-testpmd -l 0-1 -m 64 --no-pci --no-telemetry --file-prefix "$prefix" \
		--huge-dir "$huge" --huge-unlink -d "$plugin" -d "$pmd" \
		-a "bus=spapr,backend=model,profile=$profile,groups=2" \
		--vdev net_spapr_model0 --vdev net_spapr_model1,group=1 \
		-- -i --total-num-mbufs=4096 --no-flush-rx 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$prefix"
echo "$out" | grep -E "^testpmd> (port|device)|spapr:|[Aa]ttach|[Dd]etach|total ports|^rx_good_packets|^dma_faults|^pe_faults|Invalid|Bye"
fail=0
# Per port and xstats dump (2 cycles x 2 ports), in order.
x() { echo "$out" | awk -v k="$1:" '$1 == k { print $2 }'; }
[ $rc = 0 ] || { echo "FAIL: testpmd exit status $rc"; fail=1; }
case $profile in
pseries*) left="IOMMU group 1 released"; joined="IOMMU group 1: plan:" ;;
*) left="IOMMU group 1 parked in container 0"; joined="IOMMU group 1 in use again in container 0" ;;
esac
[ "$(echo "$out" | grep -c "spapr: $left")" = 2 ] || { echo "FAIL: want 2 x '$left'"; fail=1; }
[ "$(echo "$out" | grep -c "spapr: $joined")" = 2 ] || { echo "FAIL: want 2 x '$joined'"; fail=1; }
[ "$(echo "$out" | grep -cE "Device (net_spapr_model1 )?is detached")" = 2 ] || { echo "FAIL: port 1 not detached twice"; fail=1; }
[ "$(echo "$out" | grep -c "Port 1 is attached")" = 2 ] || { echo "FAIL: port 1 not attached twice"; fail=1; }
n=0
for v in $(x rx_good_packets); do
	n=$((n + 1))
	[ "$v" -gt 0 ] || { echo "FAIL: xstats dump $n: no packets received"; fail=1; }
done
[ $n = 4 ] || { echo "FAIL: $n rx_good_packets figures, want 4 (2 ports x 2 cycles)"; fail=1; }
for k in dma_faults pe_faults; do
	for v in $(x $k); do [ "$v" = 0 ] || { echo "FAIL: $k $v"; fail=1; }; done
done
echo "$out" | grep -E "refused|left behind|failed" && { echo "FAIL: an error was logged"; fail=1; }
echo "$out" | grep -q "^Bye" || { echo "FAIL: testpmd did not exit cleanly"; fail=1; }
exit $fail
