# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/suite-lifecycle.sh - suite "lifecycle", host side
# (sourced by run): dpdk-testpmd with librte_bus_spapr.so through a
# process's life on the real kernel (growth after start-up, 1 GiB of DPDK
# memory, port detach/attach, a secondary process, kill -9 and restart,
# two runs back to back) and start-up at scale, plugin and stock DPDK side
# by side. The guest side is guest/suite-lifecycle.sh; it reuses suite
# testpmd's sysroot, testpmd, PMDs and plugin, and adds dpdk-proc-info.
# Not in the default suite set: one machine takes minutes (doc/testbed.md).

# shellcheck source=lib/suite-testpmd.sh
[[ $(type -t suite_testpmd_build) == function ]] || . "$SYSDIR/lib/suite-testpmd.sh"

LC_ALL_STEPS=grow-auto,grow-indirect,pa,large,hotplug,secondary,kill9,back2back,timing
# Steps that fail on main today for a reason outside the suite; they run
# with --lifecycle-steps all (or by name), and the verdict line names them
# as not run. None now.
LC_GATED_STEPS=
LC_STEPS=${LC_STEPS:-default}
[[ $LC_STEPS == all ]] && LC_STEPS=$LC_ALL_STEPS
if [[ $LC_STEPS == default ]]; then
	LC_STEPS=$(tr ',' '\n' <<<"$LC_ALL_STEPS" | grep -vxF -e "${LC_GATED_STEPS//,/$'\n'}" | paste -sd, -)
fi
LC_SIZES=${LC_SIZES:-64,256,1024}
LC_STOCK_SIZES=${LC_STOCK_SIZES:-64,256}
LC_GUEST_RAM=4G
# Guest seconds stock DPDK may take to its prompt (at 256 MiB on powernv9
# it maps 65536 4K pages one ioctl pair each), and the QEMU timeout of a
# boot with every step (powernv9: the kernel pins and maps 1 GiB in 4K
# pages for minutes under TCG).
LC_STOCK_TIMEOUT=${LC_STOCK_TIMEOUT:-300}
# shellcheck disable=SC2034 # read by run
LC_QEMU_TIMEOUT=1800
LC_SONAMES=()

# The lifecycle runs one DPDK, the first of --dpdk: by default Debian 12's
# 22.11 (the one stock DPDK is timed with), 24.11 and 25.11 in their
# Debian guest userlands; suite testpmd builds its sysroot, plugin and
# spapr-info.
LC_DPDK=${DPDK_LTS_LIST[0]:-22.11}
((${#DPDK_LTS_LIST[@]} <= 1)) || log "suite lifecycle: runs DPDK $LC_DPDK only (the first of --dpdk)"

suite_lifecycle_build() {
	if [[ -z ${TP_SONAMES_OF[$LC_DPDK]:-} ]]; then
		tp_build_lowcap_run
		tp_build_version "$LC_DPDK"
		[[ -n ${TP_SONAMES_OF[$LC_DPDK]:-} ]] ||
			skip "suite lifecycle: DPDK $LC_DPDK cannot run here: ${DPDK_SKIPPED[$LC_DPDK]:-unknown}"
	fi
	tp_select "$LC_DPDK"
	# dpdk-proc-info (Debian's dpdk-dev ships it) and what it needs.
	sysroot_resolve "$SYSROOT/usr/bin/dpdk-proc-info"
	LC_SONAMES=("${SYSROOT_SONAMES[@]}")
}

# lc_needed ELF: its librte_* NEEDED entries, sorted.
lc_needed() {
	powerpc64le-linux-gnu-readelf -d "$1" | sed -n 's/.*Shared library: \[\(librte_[^]]*\)\].*/\1/p' | sort
}

suite_lifecycle_stage() {
	local root=$1 so
	suite_testpmd_stage "$root" "$LC_DPDK"
	cp "$SYSROOT/usr/bin/dpdk-proc-info" "$root/usr/bin/"
	# The DPDK libraries dpdk-proc-info links and dpdk-testpmd does not
	# (DPDK built here from source: testpmd without librte_hash and
	# librte_eventdev). A secondary finds only the tail queues the primary
	# registered ("Cannot initialize tailq: RTE_HASH"), so the secondary
	# step's primary loads them (-d), as Debian's testpmd links them.
	comm -13 <(lc_needed "$SYSROOT/usr/bin/dpdk-testpmd") \
		<(lc_needed "$SYSROOT/usr/bin/dpdk-proc-info") >"$root/etc/lc-primary-libs"
	for so in "${LC_SONAMES[@]}"; do
		[[ -e $root/$LIBDIR/$so ]] || cp -L "$(sysroot_lib "$so")" "$root/$LIBDIR/$so"
	done
}

# QEMU hook (lib/boot.sh qemu_args): a 4 GiB guest (1 GiB of DPDK memory
# plus the kernel's and testpmd's) and the steps on the command line.
suite_lifecycle_qemu() {
	local i
	for ((i = 0; i < ${#QEMU_ARGS[@]}; i++)); do
		[[ ${QEMU_ARGS[i]} == -m ]] && QEMU_ARGS[i + 1]=$LC_GUEST_RAM
	done
	APPEND+=" spapr.lc_steps=$LC_STEPS spapr.lc_sizes=$LC_SIZES spapr.lc_stock_sizes=$LC_STOCK_SIZES"
	APPEND+=" spapr.lc_stock_timeout=$LC_STOCK_TIMEOUT"
}

lc_field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" $2"; }

# Every step asked for must have left a verdict, and none may be "fail".
# "n/a" is the guest's word for a step the machine cannot run whatever
# the plugin does (a secondary process of a --no-huge primary, IOVA as PA
# without hugepages), with DPDK's reason in its records.
suite_lifecycle_check() {
	local target=$1 file=$2 step line verdict ok=1 summary=()
	for step in ${LC_STEPS//,/ }; do
		line=$(grep -m1 "^@@ V step=$step " "$file") || {
			summary+=("$step:none")
			ok=0
			continue
		}
		verdict=$(lc_field verdict "$line")
		summary+=("$step:$verdict")
		[[ $verdict == pass || $verdict == n/a ]] || ok=0
	done
	for step in ${LC_GATED_STEPS//,/ }; do
		[[ ",$LC_STEPS," == *",$step,"* ]] || summary+=("$step:not-run(gated)")
	done
	echo "lifecycle: $target: ${summary[*]}"
	((ok))
}

# results/lifecycle-timing.md: start-up to the prompt and the mapping
# phase (first to last sPAPR ioctl, strace -ttt) per DPDK memory size,
# plugin and stock DPDK, with the ratios. Guest seconds under TCG and
# strace: only the ratios mean something; nothing here is asserted.
suite_lifecycle_report() {
	local out=$RESULTS/lifecycle-timing.md job target file mem p s
	{
		echo "DPDK ${DPDK_VERSION_OF[$LC_DPDK]:-?} ($(dpdk_origin "$LC_DPDK")), QEMU ${QEMU_VERSION:-?}, $(date -u '+%Y-%m-%d %H:%M') UTC; guest seconds under QEMU TCG and strace."
		echo
		echo "| machine (kernel) | DPDK memory | plugin start-up s | stock start-up s | start-up stock/plugin | plugin mapping phase s (sPAPR ioctls) | stock mapping phase s (sPAPR ioctls) | mapping stock/plugin |"
		echo "|---|---|---|---|---|---|---|---|"
		for job in "${JOBS_LIST[@]}"; do
			[[ ${job%%:*} == lifecycle ]] || continue
			target=${job#*:}
			file=$RESULTS/$(boot_tag "$target" lifecycle 0).txt
			[[ -r $file ]] || continue
			local kern
			kern=$(sed -n 's/^@@ G lifecycle: .*kernel \([^;]*\);.*/\1/p' "$file")
			for mem in $(grep '^@@ T ' "$file" | sed -n 's/.* mem=\([0-9]*\).*/\1/p' | sort -nu); do
				p=$(grep -m1 "^@@ T mode=plugin mem=$mem " "$file" || true)
				s=$(grep -m1 "^@@ T mode=stock mem=$mem " "$file" || true)
				printf '| %s (%s) | %s MiB%s | %s | %s | %s | %s | %s | %s |\n' \
					"$(target_machine "$target")" "$(tp_kernel_label "$kern")" "$mem" \
					"$(lc_mem_label "$p$s")" \
					"$(lc_startup "$p")" "$(lc_startup "$s")" \
					"$(lc_ratio "$(lc_ok_field startup_s "$s")" "$(lc_ok_field startup_s "$p")")" \
					"$(lc_phase "$p")" "$(lc_phase "$s")" \
					"$(lc_ratio "$(lc_ok_field map_phase_s "$s")" "$(lc_ok_field map_phase_s "$p")")"
			done
			lc_target_line "$target" "$file"
		done
	} >"$out"
	log "lifecycle timing table: ${out#"$TOPDIR"/}"
}

# The check the table is for, reported (wall-clock times are never
# asserted): the plugin's mapping phase at 256 MiB against stock DPDK's.
lc_target_line() {
	local p s ratio
	p=$(grep -m1 '^@@ T mode=plugin mem=256 ' "$2" || true)
	s=$(grep -m1 '^@@ T mode=stock mem=256 ' "$2" || true)
	ratio=$(lc_ratio "$(lc_ok_field map_phase_s "$s")" "$(lc_ok_field map_phase_s "$p")")
	[[ $ratio == – ]] && return 0
	printf '| %s: at 256 MiB the plugin'"'"'s mapping phase is %s shorter than stock DPDK'"'"'s (target: at least 100×: %s) |||||||\n' \
		"$(target_machine "$1")" "$ratio" "$(awk -v r="${ratio%×}" 'BEGIN { print (r >= 100) ? "met" : "not met" }')"
}

lc_mem_label() { [[ $(lc_field hugepages "$1") == yes ]] && echo ", 2M hugepages" || echo ", --no-huge"; }

# A run's field, only if it reached its prompt.
lc_ok_field() { [[ $(lc_field started "$2") == yes ]] && lc_field "$1" "$2"; }

lc_startup() {
	[[ -z $1 ]] && { echo "not run"; return; }
	case $(lc_field started "$1") in
	yes) lc_field startup_s "$1" ;;
	no-ports) echo "prompt without ports ($(lc_field startup_s "$1") s)" ;;
	*) echo "no prompt ($(lc_field startup_s "$1") s)" ;;
	esac
}

lc_phase() {
	[[ -z $1 ]] && { echo "–"; return; }
	local note=''
	case $(lc_field started "$1") in
	yes) ;;
	no-ports) note=", no ports" ;;
	*) note=", no prompt" ;;
	esac
	printf '%.3f (%s: %s REGISTER, %s MAP, %s CREATE%s)' "$(lc_field map_phase_s "$1")" \
		"$(lc_field spapr_ioctls "$1")" "$(lc_field register "$1")" "$(lc_field map "$1")" \
		"$(lc_field create "$1")" "$note"
}

lc_ratio() {
	[[ -n $1 && -n $2 ]] || { echo "–"; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f×", a / b; else print "–" }'
}
