#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# testpmd-model.sh PLUGIN PROFILE [env] - stock Debian dpdk-testpmd starts with the
# plugin in model mode (net_null vdevs, --no-pci), forwards, and exits cleanly.
# With "env", the options come from SPAPR_DPDK_OPTS instead of -a bus=spapr,...
# Exit 77 (skip) without root, hugepages or dpdk-testpmd.
set -u
plugin=$1
profile=$2
opts="backend=model,profile=$profile"
if [ "${3:-}" = env ]; then
	export SPAPR_DPDK_OPTS=$opts
	devargs=()
else
	unset SPAPR_DPDK_OPTS
	devargs=(-a "bus=spapr,$opts")
fi
huge=/dev/hugepages-spapr-test

command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed (apt-get install dpdk-dev)"; exit 77; }
. "$(dirname "$0")/../lib/hugepages.sh"
test_hugepages_or_skip "$huge" 48

# A build tree under a world-writable path (/tmp) cannot be loaded with -d.
. "$(dirname "$0")/../../apps/lib/dpdk-plugin-path.sh"
dpdk_plugin_paths "$plugin" || exit 1
plugin=${DPDK_PLUGIN_PATHS[0]}
trap dpdk_plugin_cleanup EXIT

prefix=spapr-testpmd-$$
out=$(printf 'start\nshow port stats all\nstop\nquit\n' |
	timeout 60 dpdk-testpmd -l 0-1 -m 64 --no-pci --no-telemetry --file-prefix "$prefix" \
		--huge-dir "$huge" --huge-unlink -d "$plugin" \
		"${devargs[@]}" \
		--vdev net_null0 --vdev net_null1 -- -i --total-num-mbufs=2048 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$prefix"
echo "$out" | grep -E "spapr:|Selected IOVA|Bye"
fail=0
[ $rc = 0 ] || { echo "FAIL: testpmd exit status $rc"; fail=1; }
echo "$out" | grep -q "spapr: plan: container 0" || { echo "FAIL: no plan line"; fail=1; }
echo "$out" | grep -q "spapr: DMA set up: model backend profile $profile" || { echo "FAIL: no set-up line"; fail=1; }
echo "$out" | grep -q "^Bye" || { echo "FAIL: testpmd did not exit cleanly"; fail=1; }
echo "$out" | grep -qE "TX-packets: [1-9]" || { echo "FAIL: nothing forwarded"; fail=1; }
echo "$out" | grep -q "spapr: memory .* cannot" && { echo "FAIL: a memory event failed"; fail=1; }
exit $fail
