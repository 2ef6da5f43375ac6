# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/boot.sh - boot one QEMU machine, collect its results and
# compare them with the model (sourced by run).
#
# Command-line facts seen on QEMU 7.2 (doc/testbed.md): -M powernv9
# keeps its default PHBs (pcie.0..5; -nodefaults would remove them), the NIC
# sits on pcie.0 and shows up as 0000:01:00.0; on pseries the NIC is on the
# default PHB as 0000:00:00.0. Both use the hvc0 console.

declare -A MACHINE_STATUS=() MACHINE_AGREE=() MACHINE_TIME=() MACHINE_REASON=()
declare -A SUITE_STATUS=() SUITE_VERDICT=() SUITE_TIME=()

# QEMU arguments for target $1 (powernv9, powernv9-64k, pseries, ...), suite
# $2, boot number $3. Suite testpmd (and virtio, lifecycle, ovs) joins the
# NICs with a QEMU hub, so what one NIC sends the other receives (testpmd,
# or OVS's flows, forward it back: a loop);
# the other suites give each NIC its own restricted user network.
qemu_args() {
	local target=$1 suite=$2 boot=$3 m flav i net nic
	m=$(target_machine "$target")
	flav=$(target_flavour "$target")
	# The initramfs of the flavour, and of the target's DPDK if it has one.
	local initrd=$flav
	[[ $target == *@* ]] && initrd+=@$(target_dpdk "$target")
	QEMU_ARGS=(-M "$m" -m 2G -smp 1 -nographic -no-reboot
		   -kernel "${VMLINUX_OF[$flav]}" -initrd "${INITRD_OF[$initrd]}")
	[[ $m == pseries ]] && QEMU_ARGS+=(-vga none)
	for ((i = 0; i < NICS; i++)); do
		net="user,id=n$i,restrict=on"
		[[ $suite == testpmd || $suite == virtio || $suite == lifecycle || $suite == ovs ]] &&
			net="hubport,id=n$i,hubid=0"
		QEMU_ARGS+=(-netdev "$net")
		# Suite virtio: modern-only virtio-net (no I/O port BAR), with
		# iommu_platform=on (VIRTIO_F_ACCESS_PLATFORM): without it QEMU's
		# virtio-pci DMAs to guest physical addresses and bypasses the
		# PHB's TCE tables, so the window IOVAs (start + PA) net_virtio
		# writes into its rings read as nothing and the control-queue
		# command it polls for never completes.
		nic="e1000e,netdev=n$i,romfile="
		[[ $suite == virtio ]] && nic="virtio-net-pci,netdev=n$i,romfile=,disable-legacy=on,iommu_platform=on"
		case $m in
		powernv*) QEMU_ARGS+=(-device "$nic,bus=pcie.$i,addr=0x0") ;;
		pseries)
			# A second NIC gets its own PHB, hence its own PE and group.
			if ((i == 0)); then
				QEMU_ARGS+=(-device "$nic")
			else
				QEMU_ARGS+=(-device "spapr-pci-host-bridge,index=$i,id=phb$i"
					    -device "$nic,bus=phb$i.0")
			fi ;;
		esac
	done
	APPEND="console=hvc0 panic=-1 spapr.machine=$(target_name "$target") spapr.boot=$boot spapr.suite=$suite spapr.seed=$SEED spapr.random=$RANDOM_CASES"
	[[ -n ${SPAPR_CASES:-} ]] && APPEND+=" spapr.cases=$SPAPR_CASES"
	# Debian builds virtio_pci into the kernel: it would bind the NICs at
	# boot, before /init can hand them to vfio-pci, and on pseries its
	# failed DDW request poisons the PE (qemu-power-testbed.md). Keep it
	# from registering at all.
	[[ $suite == virtio ]] && APPEND+=" initcall_blacklist=virtio_pci_driver_init"
	[[ -n ${TP_START_TIMEOUT:-} ]] && APPEND+=" spapr.tp_start_timeout=$TP_START_TIMEOUT"
	[[ -n ${TP_VA_STARTS:-} ]] && APPEND+=" spapr.tp_va_starts=$TP_VA_STARTS"
	[[ -n ${TP_HOTPLUG:-} ]] && APPEND+=" spapr.tp_hotplug=1"
	# A suite's own machine set-up (memory, command-line keys).
	[[ $(type -t "suite_${suite}_qemu") == function ]] && "suite_${suite}_qemu"
	QEMU_ARGS+=(-append "$APPEND")
}

# Results of suite diff keep the names the replay data uses (<m>.txt,
# <m>-boot<n>.txt); other suites are <target>-<suite>.txt, and the DPDK
# suites <target>-<suite>-dpdk<LTS>.txt.
boot_tag() {
	local target=$1 suite=$2 boot=$3 tag
	tag=$(target_name "$1")
	[[ $suite != diff ]] && tag+=-$suite
	[[ $target == *@* ]] && tag+=-dpdk$(target_dpdk "$target")
	((boot)) && tag+=-boot$boot
	echo "$tag"
}

# Boot target $1 for suite $2, boot number $3; the console goes to
# results/logs/<tag>-console.log, the records to results/<tag>.txt.
# Prints the records' path, or why there are none (and returns non-zero).
boot_machine() {
	local target=$1 suite=$2 boot=$3 tag console out rc=0
	tag=$(boot_tag "$target" "$suite" "$boot")
	console=$LOGDIR/$tag-console.log
	out=$RESULTS/$tag.txt
	qemu_args "$target" "$suite" "$boot"
	log "$tag: booting (qemu-system-ppc64 ${QEMU_ARGS[*]})"
	if ((VERBOSE)); then
		timeout "$QEMU_TIMEOUT" qemu-system-ppc64 "${QEMU_ARGS[@]}" </dev/null 2>&1 |
			tee "$console" >&2 || rc=$?
	else
		timeout "$QEMU_TIMEOUT" qemu-system-ppc64 "${QEMU_ARGS[@]}" </dev/null \
			>"$console" 2>&1 || rc=$?
	fi
	tr -d '\r' <"$console" | sed -n '/^@@@ RESULTS/,/^@@@ END-RESULTS/p' >"$out"
	if ! grep -q '^@@ END' "$out"; then
		if [[ $rc == 124 ]]; then
			echo "$tag: QEMU timed out after ${QEMU_TIMEOUT}s (see $console)"
		elif [[ $rc != 0 ]]; then
			echo "$tag: QEMU exited with $rc: $(tail -n 2 "$console" | tr '\n' ' ')"
		else
			echo "$tag: no results on the console (see $console)"
		fi
		return 1
	fi
	log "$tag: $(grep -m1 '^@@ G uptime' "$out" | cut -d' ' -f3-); kernel $(sed -n 's/^@@ G kernel //p' "$out")"
	if grep -q '^@@ X' "$out"; then
		grep '^@@ X' "$out" | sed "s/^/    $tag: /" >&2
	fi
	echo "$out"
}

# All boots of target $1 for suite $2, one after the other (a background
# job when jobs run in parallel). Leaves results/<tag>.state: the result
# files, the wall time and, on failure, the reason.
boot_all() {
	local target=$1 suite=$2 t boot line boots=1 state
	state=$RESULTS/$(boot_tag "$target" "$suite" 0).state
	[[ $suite == diff ]] && boots=$BOOTS
	t=$(now)
	: >"$state"
	for ((boot = 0; boot < boots; boot++)); do
		if ! line=$(boot_machine "$target" "$suite" "$boot"); then
			echo "reason=$line" >>"$state"
			break
		fi
		echo "file=$line" >>"$state"
	done
	echo "wall=$(elapsed "$t")" >>"$state"
}

# A job's usual length in seconds, for the order of the boots only
# (measured on the 2-core reference machine, all suites, DPDK 22.11): the
# DPDK suites on powernv9 include stock DPDK's one-page-at-a-time mapping,
# diff boots $BOOTS times, dma is short.
job_weight() {
	local suite=${1%%:*} target=${1#*:}
	target=${target%@*}
	case $suite:$target in
	virtio:powernv9 | testpmd:powernv9) echo 200 ;;
	diff:*) echo $((BOOTS * 60)) ;;
	virtio:* | testpmd:*) echo 120 ;;
	dma:*) echo 25 ;;
	*) echo 100 ;;
	esac
}

# The jobs, longest first: with $JOBS slots, the short ones then fill
# the gaps at the end instead of one long job running alone.
jobs_longest_first() {
	local job
	for job in "${JOBS_LIST[@]}"; do
		printf '%s %s\n' "$(job_weight "$job")" "$job"
	done | sort -s -k1,1nr | cut -d' ' -f2-
}

# Every (suite, target) job, $JOBS at a time (each QEMU is one TCG thread).
boot_machines() {
	local job running=0
	for job in $(jobs_longest_first); do
		if ((JOBS > 1)); then
			boot_all "${job#*:}" "${job%%:*}" &
			running=$((running + 1))
			if ((running >= JOBS)); then
				wait -n || true
				running=$((running - 1))
			fi
		else
			boot_all "${job#*:}" "${job%%:*}"
		fi
	done
	wait
}

# Judge suite $1 on target $2 (not diff): suite_<name>_check TARGET FILE
# prints a one-line verdict and returns non-zero on failure.
check_suite() {
	local suite=$1 target=$2 key=$1:$2 state file verdict rc=0
	state=$RESULTS/$(boot_tag "$target" "$suite" 0).state
	SUITE_TIME[$key]=$(sed -n 's/^wall=//p' "$state")
	file=$(sed -n 's/^file=//p' "$state" | awk 'NR == 1')
	if [[ -z $file ]]; then
		SUITE_STATUS[$key]=fail
		SUITE_VERDICT[$key]="$suite: $target: $(sed -n 's/^reason=//p' "$state")"
	else
		verdict=$("suite_${suite}_check" "$target" "$file") || rc=$?
		SUITE_VERDICT[$key]=$verdict
		SUITE_STATUS[$key]=pass
		((rc == 0)) || SUITE_STATUS[$key]=fail
	fi
	log "${SUITE_VERDICT[$key]} (${SUITE_TIME[$key]}s wall)"
	[[ ${SUITE_STATUS[$key]} == pass ]]
}

# Compare machine $1's records with the model. Returns non-zero on failure.
diff_machine() {
	local m=$1 state=$RESULTS/$1.state diff_out args=() f rc=0
	MACHINE_TIME[$m]=$(sed -n 's/^wall=//p' "$state")
	MACHINE_REASON[$m]=$(sed -n 's/^reason=//p' "$state")
	if [[ -n ${MACHINE_REASON[$m]} ]]; then
		MACHINE_STATUS[$m]=fail
		log "$m: FAIL: ${MACHINE_REASON[$m]}"
		return 1
	fi
	log "$m: $BOOTS boot(s) took ${MACHINE_TIME[$m]}s wall"
	if [[ -z ${DIFF_BIN:-} ]]; then
		MACHINE_STATUS[$m]=fail
		MACHINE_REASON[$m]="model side not built: ${DIFF_ERROR:-unknown}"
		log "$m: FAIL: ${MACHINE_REASON[$m]}"
		return 1
	fi
	diff_out=$RESULTS/$m-diff.txt
	for f in $(sed -n 's/^file=//p' "$state"); do args+=(--guest "$f"); done
	"$DIFF_BIN" "${args[@]}" --machine "$(target_machine "$m")" \
		--overrides "$SYSDIR/testbed-overrides.txt" \
		--known "$SYSDIR/known-differences.txt" --json "$RESULTS/$m.json" \
		--model-log "$RESULTS/$m-model.txt" >"$diff_out" 2>&1 || rc=$?
	grep -E '^case .*DIFFER' "$diff_out" | sed 's/^/    /' >&2 || true
	MACHINE_AGREE[$m]=$(tail -n 1 "$diff_out")
	log "$m: ${MACHINE_AGREE[$m]}"
	case $rc in
	0) MACHINE_STATUS[$m]=pass ;;
	1) MACHINE_STATUS[$m]=fail; MACHINE_REASON[$m]="unexplained disagreements (see $diff_out)" ;;
	*) MACHINE_STATUS[$m]=fail; MACHINE_REASON[$m]="spapr-system-diff failed: $(tail -n 2 "$diff_out" | tr '\n' ' ')" ;;
	esac
	[[ $rc == 0 ]]
}

# Keep this run's kernel records as the replay snapshot (tests/system/data),
# which meson's system-replay tests compare the model with on every build.
save_snapshot() {
	local m f
	mkdir -p "$SYSDIR/data"
	for m in "${DIFF_MACHINES[@]}"; do
		[[ ${MACHINE_STATUS[$m]:-} == pass ]] || {
			log "snapshot: $m not saved (status ${MACHINE_STATUS[$m]:-fail})"
			continue
		}
		rm -f "$SYSDIR/data/$m".txt "$SYSDIR/data/$m"-boot*.txt
		for f in $(sed -n 's/^file=//p' "$RESULTS/$m.state"); do
			cp "$f" "$SYSDIR/data/"
		done
		log "snapshot: saved $m records to tests/system/data/"
	done
}

# The kernel release and package version target $1 booted.
target_kernel() {
	local flav
	flav=$(target_flavour "$1")
	echo "${KVER_OF[$flav]:-?} (${KPKG_VERSION_OF[$flav]:-?})"
}

# The DPDK a job (suite $1, target $2) ran: the exact Debian ppc64el DPDK
# of the target's LTS.
job_dpdk() {
	local v
	v=$(target_dpdk "$2")
	[[ -n $v ]] && echo "${DPDK_VERSION_OF[$v]:-$v}"
	return 0
}

write_summary() {
	local m first=1 status=pass
	for m in "${DIFF_MACHINES[@]}"; do [[ ${MACHINE_STATUS[$m]:-fail} == pass ]] || status=fail; done
	for m in "${JOBS_LIST[@]}"; do
		[[ ${m%%:*} == diff || ${SUITE_STATUS[$m]:-fail} == pass ]] || status=fail
	done
	{
		printf '{"status":"%s","suite":"%s",%s,"seed":%s,"random":%s,"guest_build":"%s","times":{' \
			"$status" "$SUITE" "$(versions_json)" "$SEED" "$RANDOM_CASES" \
			"$(json_escape "${GUEST_BUILD_NOTE:-}")"
		local k sep=
		for k in "${!TIMES[@]}"; do printf '%s"%s":%s' "$sep" "$k" "${TIMES[$k]}"; sep=,; done
		printf '},"machines":['
		for m in "${DIFF_MACHINES[@]}"; do
			((first)) || printf ','
			first=0
			printf '{"machine":"%s","kernel":"%s","status":"%s","wall_s":%s,"agreement":"%s","reason":"%s"}' \
				"$m" "$(target_kernel "$m")" "${MACHINE_STATUS[$m]:-fail}" "${MACHINE_TIME[$m]:-0}" \
				"${MACHINE_AGREE[$m]:-}" "$(json_escape "${MACHINE_REASON[$m]:-}")"
		done
		printf '],"suites":['
		first=1
		local job
		for job in "${JOBS_LIST[@]}"; do
			[[ ${job%%:*} == diff ]] && continue
			((first)) || printf ','
			first=0
			printf '{"suite":"%s","target":"%s","kernel":"%s","dpdk_lts":"%s","dpdk":"%s","status":"%s","wall_s":%s,"verdict":"%s"}' \
				"${job%%:*}" "$(target_name "${job#*:}")" "$(target_kernel "${job#*:}")" \
				"$(target_dpdk "${job#*:}")" "$(job_dpdk "${job%%:*}" "${job#*:}")" \
				"${SUITE_STATUS[$job]:-fail}" "${SUITE_TIME[$job]:-0}" \
				"$(json_escape "${SUITE_VERDICT[$job]:-}")"
		done
		# Jobs of a DPDK version that cannot run here (lib/suite-testpmd.sh).
		local v
		for job in "${SKIPPED_JOBS[@]}"; do
			v=$(target_dpdk "${job#*:}")
			((first)) || printf ','
			first=0
			printf '{"suite":"%s","target":"%s","kernel":"%s","dpdk_lts":"%s","dpdk":"","status":"skipped","wall_s":0,"verdict":"%s"}' \
				"${job%%:*}" "$(target_name "${job#*:}")" "$(target_kernel "${job#*:}")" "$v" \
				"$(json_escape "$(skipped_verdict "$job")")"
		done
		printf ']}\n'
	} >"$RESULTS/summary.json"
	# The other suites' verdicts first: the last lines are the
	# differential suite's "agreement: <machine> <agreeing>/<total>".
	versions_line
	for job in "${JOBS_LIST[@]}"; do
		[[ ${job%%:*} == diff ]] || echo "${SUITE_VERDICT[$job]:-}"
	done
	for job in "${SKIPPED_JOBS[@]}"; do skipped_verdict "$job"; done
	for m in "${DIFF_MACHINES[@]}"; do
		[[ -n ${MACHINE_AGREE[$m]:-} ]] && echo "${MACHINE_AGREE[$m]}"
	done
	return 0
}

# "testpmd: powernv9 DPDK 24.11: skipped: <why>" for a job that could not run.
skipped_verdict() {
	local v
	v=$(target_dpdk "${1#*:}")
	echo "${1%%:*}: $(target_label "${1#*:}"): skipped: ${DPDK_SKIPPED[$v]:-}"
}

# One line naming every version the run used.
versions_line() {
	local flav out="versions:"
	for flav in "${FLAVOURS[@]}"; do
		[[ -n ${KVER_OF[$flav]:-} ]] && out+=" kernel ${KVER_OF[$flav]} (${KPKG_VERSION_OF[$flav]});"
	done
	local v
	for v in "${DPDK_LTS_LIST[@]}"; do
		[[ -n ${DPDK_VERSION_OF[$v]:-} ]] && out+=" DPDK ${DPDK_VERSION_OF[$v]} ($(dpdk_origin "$v"));"
		[[ -n ${DPDK_SKIPPED[$v]:-} ]] && out+=" DPDK $v skipped;"
	done
	echo "$out QEMU ${QEMU_VERSION:-?}"
}
