# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/suite-ovs.sh - suite "ovs", host side (sourced by run):
# Debian 12's ppc64el Open vSwitch with DPDK (openvswitch-switch-dpdk, OVS
# 3.1 on DPDK 22.11) in the guest, forwarding between the two NICs through
# a netdev bridge, with librte_bus_spapr.so loaded through
# other_config:dpdk-extra and without it (stock DPDK, the baseline). The
# guest side is guest/suite-ovs.sh. It reuses suite testpmd's DPDK 22.11
# sysroot, PMDs and plugin, and adds the OVS packages to that sysroot and
# to the initramfs only when this suite runs. Not in the default suite set
# (doc/testbed.md gives its time).

# shellcheck source=lib/suite-testpmd.sh
[[ $(type -t suite_testpmd_build) == function ]] || . "$SYSDIR/lib/suite-testpmd.sh"

# OVS 3.1 is Debian 12's, built on its DPDK 22.11.
OVS_DPDK=22.11
OVS_PKGS=(openvswitch-switch-dpdk openvswitch-switch openvswitch-common)
# The programs the guest runs (paths in the packages).
OVS_PROGS=(usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk usr/sbin/ovsdb-server
	usr/bin/ovsdb-tool usr/bin/ovs-vsctl usr/bin/ovs-ofctl usr/bin/ovs-appctl)
OVS_SCHEMA=usr/share/openvswitch/vswitch.ovsschema
OVS_SONAMES=()
OVS_VERSION=''
# The netdev datapath makes its ports and the bridge's internal port tap
# devices (/dev/net/tun): Debian builds tun as a module.
SUITE_MODULES+=(tun)
# Guest seconds of forwarding in each phase (spapr.ovs_fwd_seconds).
OVS_FWD_SECONDS=${OVS_FWD_SECONDS:-10}
# The QEMU timeout of a boot (run --timeout overrides it): two OVS runs,
# each with EAL init, two ports, a del-port/add-port and two phases of
# forwarding, under TCG on a shared host (doc/testbed.md).
# shellcheck disable=SC2034 # read by run
OVS_QEMU_TIMEOUT=1200

suite_ovs_build() {
	local p progs=()
	if [[ -z ${TP_SONAMES_OF[$OVS_DPDK]:-} ]]; then
		tp_build_lowcap_run
		tp_build_version "$OVS_DPDK"
		[[ -n ${TP_SONAMES_OF[$OVS_DPDK]:-} ]] ||
			skip "suite ovs: DPDK $OVS_DPDK cannot run here: ${DPDK_SKIPPED[$OVS_DPDK]:-unknown}"
	fi
	tp_select "$OVS_DPDK"
	sysroot_add_packages "${OVS_PKGS[@]}"
	for p in "${OVS_PROGS[@]}"; do
		[[ -x $SYSROOT/$p ]] || fail "suite ovs: $p is not in ${OVS_PKGS[*]} ($(cat "$SYSROOT/.pkg-openvswitch-switch-dpdk"))"
		progs+=("$SYSROOT/$p")
	done
	[[ -r $SYSROOT/$OVS_SCHEMA ]] || fail "suite ovs: no $OVS_SCHEMA in ${OVS_PKGS[*]}"
	sysroot_resolve "${progs[@]}"
	OVS_SONAMES=("${SYSROOT_SONAMES[@]}")
	# The .deb unpacked into the sysroot (sysroot_add_packages names it).
	OVS_VERSION=$(dpkg-deb -f "$CACHE/debs/$(cat "$SYSROOT/.pkg-openvswitch-switch-dpdk")" Version) ||
		fail "suite ovs: cannot read the version of $(cat "$SYSROOT/.pkg-openvswitch-switch-dpdk")"
	log "ovs: Open vSwitch $OVS_VERSION (Debian $DPDK_RELEASE ppc64el) on DPDK $DPDK_VERSION, ${#OVS_SONAMES[@]} shared libraries"
}

suite_ovs_stage() {
	local root=$1 so p
	suite_testpmd_stage "$root" "$OVS_DPDK"
	for p in "${OVS_PROGS[@]}"; do
		mkdir -p "$root/${p%/*}"
		cp "$SYSROOT/$p" "$root/$p"
	done
	mkdir -p "$root/${OVS_SCHEMA%/*}"
	cp "$SYSROOT/$OVS_SCHEMA" "$root/$OVS_SCHEMA"
	for so in "${OVS_SONAMES[@]}"; do
		[[ -e $root/$LIBDIR/$so ]] || cp -L "$(sysroot_lib "$so")" "$root/$LIBDIR/$so"
	done
	echo "$OVS_VERSION Debian $DPDK_RELEASE ppc64el" >"$root/etc/ovs-version"
}

# QEMU hook (lib/boot.sh qemu_args).
suite_ovs_qemu() { APPEND+=" spapr.ovs_fwd_seconds=$OVS_FWD_SECONDS"; }

ovs_field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" $2"; }
# "rx/tx" -> rx, tx (0 when missing)
ovs_rx() { local v=${1%%/*}; echo "${v:-0}"; }
ovs_tx() { local v=${1#*/}; [[ $1 == */* ]] || v=0; echo "${v:-0}"; }

# The plugin run must forward through the bridge in both directions, take
# p1 out and back while p0 keeps sending, forward again, and leave no
# kernel line of a DMA fault or EEH event; the baseline's outcome is
# recorded whatever it is.
suite_ovs_check() {
	local target=$1 file=$2 line ok=1 summary=() why=()
	grep -q '^@@ O mode=plugin expect=' "$file" || { echo "ovs: $target: no OVS records"; return 1; }
	line=$(grep -m1 '^@@ O mode=plugin expect=' "$file")
	local p0 p1 hp0 hp1 gap kbad errs hperrs hperr
	p0=$(ovs_field p0 "$line") p1=$(ovs_field p1 "$line")
	hp0=$(ovs_field hp_p0 "$line") hp1=$(ovs_field hp_p1 "$line")
	gap=$(ovs_field gap_p0_tx "$line") kbad=$(ovs_field kernel_bad "$line")
	errs=$(ovs_field errs "$line") hperrs=$(ovs_field hp_errs "$line")
	hperr=$(ovs_field hp_error "$line")
	[[ $(ovs_field started "$line") == yes ]] || why+=("ovs-vswitchd did not start")
	[[ $(ovs_field added "$line") == yes ]] ||
		why+=("ports not added ($({ grep -m1 '^@@ O mode=plugin error ' "$file" || true; } | cut -d' ' -f5-))")
	grep -q '^@@ W mode=plugin .*spapr: plan: ' "$file" || why+=("no plan line in the vswitchd log")
	local v
	for v in "$(ovs_rx "$p0")" "$(ovs_tx "$p0")" "$(ovs_rx "$p1")" "$(ovs_tx "$p1")"; do
		((v > 0)) || { why+=("no traffic through the bridge (p0 $p0, p1 $p1)"); break; }
	done
	[[ ${errs:-1} == 0 ]] || why+=("rx/tx errors $errs")
	[[ $hperr == "[]" ]] || why+=("add-port p1 after del-port: ${hperr:-not run}")
	# p1's device went through the hotplug path both ways: probed when p1
	# was added (twice), removed when it was deleted.
	local attached removed
	attached=$(grep -c "^@@ H mode=plugin .*Device '[^']*' attached to DPDK" "$file" || true)
	removed=$(grep -c "^@@ H mode=plugin .*Device '[^']*' has been removed and detached" "$file" || true)
	((attached >= 2 && removed >= 1)) ||
		why+=("p1's device: $attached probe(s) at add-port, $removed removal(s) at del-port (want 2 and 1)")
	((${gap:-0} > 0)) || why+=("p0 sent nothing while p1 was out (${gap:-not run})")
	for v in "$(ovs_rx "$hp1")" "$(ovs_tx "$hp1")"; do
		((v > 0)) || { why+=("no traffic after p1 came back (p1 ${hp1:-none})"); break; }
	done
	(($(ovs_rx "$hp0") > $(ovs_rx "$p0"))) || why+=("p0 received nothing after p1 came back (${p0} then ${hp0:-none})")
	[[ ${hperrs:-1} == 0 ]] || why+=("rx/tx errors after p1 came back: ${hperrs:-?}")
	[[ ${kbad:-1} == 0 ]] || why+=("${kbad:-?} kernel line(s) of a fault, EEH event or warning (@@ K)")
	summary+=("plugin: p0 $p0 p1 $p1 rx/tx; p1 out and back ($removed removal(s), $attached probe(s); p0 sent ${gap:-0} meanwhile): p0 $hp0 p1 $hp1; kernel faults ${kbad:-?}")
	((${#why[@]})) && { ok=0; summary+=("FAIL: $(printf '%s; ' "${why[@]}" | sed 's/; $//')"); }
	summary+=("| stock DPDK: $(ovs_outcome "$file" baseline)")
	echo "ovs: $target: ${summary[*]}"
	((ok))
}

# One run's outcome in words: forwarded with its counters, or where it
# stopped and the first error that says why.
ovs_outcome() {
	local file=$1 mode=$2 line e
	line=$(grep -m1 "^@@ O mode=$mode expect=" "$file" || true)
	[[ -n $line ]] || { echo "not run"; return; }
	# The plugin's refusal or the EAL's own reason first, else any error.
	e=$({ grep -m1 -E "^@@ E mode=$mode .*(spapr: DMA set-up failed|unsupported start address|DMA window|DMA remapping|Unable to initialize DPDK)" "$file" ||
	      grep -m1 -E "^@@ E mode=$mode .*([Cc]annot|[Ee]rror|[Ff]ail)" "$file" || true; } |
		sed "s/^@@ E mode=$mode //; s/|/\\\\|/g" | cut -c1-220)
	if [[ $(ovs_field started "$line") != yes ]]; then
		echo "ovs-vswitchd did not start${e:+: $e}"
	elif [[ $(ovs_field added "$line") != yes ]]; then
		echo "ports not added: $({ grep -m1 "^@@ O mode=$mode error " "$file" || true; } | cut -d' ' -f5- | tr '_' ' ' | sed 's/|/\\|/g' | cut -c1-260)${e:+; log: $e}"
	else
		echo "forwarded: p0 $(ovs_field p0 "$line") p1 $(ovs_field p1 "$line") rx/tx; after p1 out and back p0 $(ovs_field hp_p0 "$line") p1 $(ovs_field hp_p1 "$line")"
	fi
}

# results/ovs-comparison.md: one row per machine and run, for doc/testbed.md.
suite_ovs_report() {
	local out=$RESULTS/ovs-comparison.md job target file mode line kern plan
	{
		echo "Open vSwitch ${OVS_VERSION:-?} on DPDK ${DPDK_VERSION_OF[$OVS_DPDK]:-?} (Debian ppc64el), QEMU ${QEMU_VERSION:-?}, $(date -u '+%Y-%m-%d %H:%M') UTC; ${OVS_FWD_SECONDS} guest seconds of forwarding per phase."
		echo
		echo "| machine (kernel) | run | outcome | plan (vswitchd log) | p0 rx / tx | p1 rx / tx | after del-port/add-port p1: p0 rx / tx | p1 rx / tx | kernel lines of faults/EEH |"
		echo "|---|---|---|---|---|---|---|---|---|"
		for job in "${JOBS_LIST[@]}"; do
			[[ ${job%%:*} == ovs ]] || continue
			target=${job#*:}
			file=$RESULTS/$(boot_tag "$target" ovs 0).txt
			[[ -r $file ]] || continue
			kern=$(sed -n 's/^@@ G ovs: .*kernel \([^;]*\);.*/\1/p' "$file")
			for mode in plugin baseline; do
				line=$(grep -m1 "^@@ O mode=$mode expect=" "$file" || true)
				[[ -n $line ]] || continue
				# Every container's window: at init, and those of
				# groups set up later (p1's, by the hotplug path).
				plan=$({ grep -E "^@@ W mode=$mode .*spapr: (IOMMU group [0-9]+: )?plan: " "$file" || true; } |
					sed -n 's/.*plan: \(container [0-9]*\) ([^)]*): \([a-z]* window [^ ]* [0-9]* KiB TCEs\).*/\1: \2/p' |
					sort -u | paste -sd';' - | sed 's/;/; /g')
				printf '| %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
					"$(target_machine "$target")" "$(tp_kernel_label "$kern")" \
					"$( [[ $mode == plugin ]] && echo "plugin (-d in dpdk-extra)" || echo "stock DPDK")" \
					"$(ovs_outcome "$file" "$mode" | cut -d: -f1)" "${plan:-–}" \
					"$(ovs_field p0 "$line" | sed 's#/# / #')" "$(ovs_field p1 "$line" | sed 's#/# / #')" \
					"$(ovs_field hp_p0 "$line" | sed 's#/# / #')" "$(ovs_field hp_p1 "$line" | sed 's#/# / #')" \
					"$(ovs_field kernel_bad "$line")"
			done
		done
	} >"$out"
	log "ovs table: ${out#"$TOPDIR"/}"
}
