#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpdk-test-eal.sh PLUGIN - Debian's own dpdk-test runs its EAL option tests
# (eal_flags_*) and multiprocess_autotest with the plugin loaded by -d and
# its options given in devargs, once in each form (-a bus=spapr,... and the
# legacy -a spapr,...).
#
# These tests start dpdk-test again as child processes and hand each child a
# copy of the parent's named devargs (app/test/process.h,
# add_parameter_allow), but not -d: a child given "--allow=spapr,..." has no
# spapr bus and fails rte_eal_init(). The plugin leaves its devargs unnamed
# so that they are not copied. Every test must pass, and the parent must run
# with the options given (the model backend's set-up line).
#
# Exit 77 (skip) without root, hugepages or dpdk-test.
set -u
plugin=$1
huge=/dev/hugepages-spapr-test
tests=(eal_flags_c_opt_autotest eal_flags_main_opt_autotest eal_flags_n_opt_autotest
	eal_flags_hpet_autotest eal_flags_no_huge_autotest eal_flags_a_opt_autotest
	eal_flags_b_opt_autotest eal_flags_vdev_opt_autotest eal_flags_r_opt_autotest
	eal_flags_mem_autotest eal_flags_file_prefix_autotest eal_flags_misc_autotest
	multiprocess_autotest)

command -v dpdk-test >/dev/null || { echo "SKIP: dpdk-test not installed (apt-get install dpdk-dev)"; exit 77; }
. "$(dirname "$0")/../lib/hugepages.sh"
test_hugepages_or_skip "$huge" 64

. "$(dirname "$0")/../../apps/lib/dpdk-plugin-path.sh"
dpdk_plugin_paths "$plugin" || exit 1
plugin=${DPDK_PLUGIN_PATHS[0]}
# The children run without --no-pci: an empty PCI sysfs keeps every one of
# them off this machine's own PCI devices (on a virtio VM a secondary's
# net_virtio probe panics, with or without the plugin).
nopci=$(mktemp -d /tmp/spapr-dpdk-test-nopci.XXXXXX)
prefix=spapr-dpdk-test-$$
cleanup() {
	rm -rf "$nopci" "/var/run/dpdk/$prefix"
	dpdk_plugin_cleanup
}
trap cleanup EXIT
export SYSFS_PCI_DEVICES=$nopci
unset SPAPR_DPDK_OPTS

fail=0
for devargs in "bus=spapr,backend=model,profile=pseries-kvm" "spapr,backend=model,profile=pseries-kvm"; do
	for t in "${tests[@]}"; do
		out=$(DPDK_TEST=$t timeout 120 dpdk-test --file-prefix "$prefix" --no-telemetry \
			-d "$plugin" -a "$devargs" </dev/null 2>&1)
		rc=$?
		if [ $rc != 0 ]; then
			echo "$out" | grep -E "spapr|Error|ERROR|failed" | head -20
			echo "FAIL: -a $devargs: $t (exit status $rc)"
			fail=1
		elif ! echo "$out" | grep -q "spapr: DMA set up: model backend profile pseries-kvm"; then
			echo "$out" | grep -E "spapr" | head -20
			echo "FAIL: -a $devargs: $t passed, but the plugin did not run with the options given"
			fail=1
		else
			echo "ok   -a $devargs: $t"
		fi
	done
done
exit $fail
