#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-l2fwd.sh L2FWD PROFILE [fault|nom] - examples/l2fwd-spapr in model mode
# with two net_null ports: it must print the plugin's plan, forward, see every
# device DMA land in its mbuf and (with "fault") recover from one DMA fault.
# "nom": without -m, so that the mbuf pools are heap growth after the probe.
# Exit 77 (skip) without root or 2 MiB hugepages, as tests/plugin does.
set -u
app=$1
profile=$2
mode=${3:-}
huge=/dev/hugepages-spapr-test

. "$(dirname "$0")/../lib/hugepages.sh"
test_hugepages_or_skip "$huge" 48

appargs=(--bursts 2000)
[ "$mode" = fault ] && appargs+=(--fault-at 100)
mem=(-m 64)
[ "$mode" = nom ] && mem=()
prefix=spapr-l2fwd-$$
out=$(timeout 60 "$app" -l 0 "${mem[@]}" --no-pci --no-telemetry --file-prefix "$prefix" \
	--huge-dir "$huge" --huge-unlink --iova-mode=pa \
	-a "bus=spapr,backend=model,profile=$profile" \
	--vdev net_null0 --vdev net_null1 -- "${appargs[@]}" 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$prefix"
echo "$out" | grep -vE "^EAL: (Detected|Selected|No free|Multi|VFIO|Probe|Device)" | tail -20
fail=0
[ $rc = 0 ] || { echo "FAIL: exit status $rc"; fail=1; }
echo "$out" | grep -q "^spapr: backend model profile $profile" || { echo "FAIL: no set-up summary"; fail=1; }
echo "$out" | grep -q "^spapr: plan: container 0" || { echo "FAIL: no plan line"; fail=1; }
echo "$out" | grep -qE "^port 0: socket [0-9-]+, pool mbufs_socket" || { echo "FAIL: no per-socket pool"; fail=1; }
echo "$out" | grep -qE "^container 0: windows [1-9]" || { echo "FAIL: no container stats"; fail=1; }
echo "$out" | grep -qE "^forwarded: rx [1-9][0-9]* tx [1-9][0-9]*, device DMA ok [1-9]" ||
	{ echo "FAIL: nothing forwarded through the model's DMA"; fail=1; }
if [ "$mode" = fault ]; then
	echo "$out" | grep -q "^DMA fault (Bad address) at IOVA 0x7ff0000000: PE of group 0 is frozen" ||
		{ echo "FAIL: the fault was not seen as a frozen PE"; fail=1; }
	echo "$out" | grep -q "^PE state after reset: running" || { echo "FAIL: no recovery"; fail=1; }
	echo "$out" | grep -qE "faults 1, PE resets 1$" || { echo "FAIL: fault count"; fail=1; }
else
	echo "$out" | grep -qE "faults 0, PE resets 0$" || { echo "FAIL: unexpected DMA fault"; fail=1; }
fi
echo "$out" | grep -q "^result: ok" || { echo "FAIL: no result line"; fail=1; }
exit $fail
