#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-eeh.sh PLUGIN PMD PROFILE - stock dpdk-testpmd shows a DMA fault of
# net_spapr_model and recovers through "port reset": port 0 posts its 1000th
# frame with an IOVA in no window (devarg fault_at); the device faults, the PE
# freezes (pe_state 2 = VFIO_EEH_PE_STATE_STOPPED), port 0 counts TX errors;
# "port stop all / port reset 0 / port start all" resets the PE and
# forwarding resumes with no new fault.
# Exit 77 (skip) without root, hugepages or dpdk-testpmd.
set -u
plugin=$1
pmd=$2
profile=$3

. "$(dirname "$0")/../lib/testpmd-env.sh"
testpmd_env "$plugin" "$pmd"
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

prefix=spapr-eeh-$$
# testpmd runs commands in order; the sleeps only let frames flow.
out=$( { echo start; sleep 1; echo stop; echo "show port stats 0"; echo "show port xstats 0"
	 echo "port stop all"; echo "port reset 0"; echo "port start all"; echo "clear port stats all"
	 echo start; sleep 1; echo stop; echo "show port xstats 0"; echo quit; } |
	timeout 60 dpdk-testpmd -l 0-1 -m 64 --no-pci --no-telemetry --file-prefix "$prefix" \
		--huge-dir "$huge" --huge-unlink -d "$plugin" -d "$pmd" \
		-a "bus=spapr,backend=model,profile=$profile" \
		--vdev net_spapr_model0,fault_at=1000 --vdev net_spapr_model1 \
		-- -i --total-num-mbufs=4096 --no-flush-rx 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$prefix"
echo "$out" | grep -E "DMA fault|PE 0 reset|TX-errors|^pe_state|^pe_faults|^pe_resets|^dma_faults|^dma_last_fault_iova|TX-packets|Bye"
fail=0
# Two xstats dumps: before and after the reset.
x() { echo "$out" | awk -v k="$1:" -v n="$2" '$1 == k { c++; if (c == n) print $2 }'; }
[ $rc = 0 ] || { echo "FAIL: testpmd exit status $rc"; fail=1; }
echo "$out" | grep -q "net_spapr_model0: DMA fault at IOVA 0x7ff000000000: PE 0 frozen" ||
	{ echo "FAIL: no fault message"; fail=1; }
[ "$(x pe_state 1)" = 2 ] || { echo "FAIL: PE not frozen (pe_state $(x pe_state 1))"; fail=1; }
[ "$(x pe_faults 1)" = 1 ] || { echo "FAIL: pe_faults $(x pe_faults 1), want 1"; fail=1; }
[ "$(x dma_last_fault_iova 1)" = 140668768878592 ] || { echo "FAIL: fault IOVA $(x dma_last_fault_iova 1)"; fail=1; }
echo "$out" | grep -qE "TX-errors: [1-9]" || { echo "FAIL: no TX error shown by testpmd"; fail=1; }
echo "$out" | grep -q "PE 0 reset (EEH recovery)" || { echo "FAIL: no PE reset"; fail=1; }
[ "$(x pe_state 2)" = 0 ] || { echo "FAIL: PE not thawed after port reset"; fail=1; }
[ "$(x pe_resets 2)" = 1 ] || { echo "FAIL: pe_resets $(x pe_resets 2), want 1"; fail=1; }
[ "$(x pe_faults 2)" = 1 ] || { echo "FAIL: new faults after the reset"; fail=1; }
[ "$(x rx_good_packets 2)" -gt 0 ] 2>/dev/null || { echo "FAIL: no forwarding after the reset"; fail=1; }
exit $fail
