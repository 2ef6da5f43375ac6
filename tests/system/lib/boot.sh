# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/boot.sh - boot one QEMU machine, collect its results and
# compare them with the model (sourced by run).
#
# Command lines follow shared/research/qemu-power-testbed.md: -M powernv9
# keeps its default PHBs (pcie.0..5; -nodefaults would remove them), the NIC
# sits on pcie.0 and shows up as 0000:01:00.0; on pseries the NIC is on the
# default PHB as 0000:00:00.0. Both use the hvc0 console.

declare -A MACHINE_STATUS=() MACHINE_AGREE=() MACHINE_TIME=() MACHINE_REASON=()

qemu_args() {
	local m=$1 boot=$2 i
	QEMU_ARGS=(-M "$m" -m 2G -smp 1 -nographic -no-reboot
		   -kernel "$VMLINUX" -initrd "$INITRD")
	[[ $m == pseries ]] && QEMU_ARGS+=(-vga none)
	for ((i = 0; i < NICS; i++)); do
		QEMU_ARGS+=(-netdev "user,id=n$i,restrict=on")
		case $m in
		powernv*) QEMU_ARGS+=(-device "e1000e,netdev=n$i,romfile=,bus=pcie.$i,addr=0x0") ;;
		pseries)
			# A second NIC gets its own PHB, hence its own PE and group.
			if ((i == 0)); then
				QEMU_ARGS+=(-device "e1000e,netdev=n$i,romfile=")
			else
				QEMU_ARGS+=(-device "spapr-pci-host-bridge,index=$i,id=phb$i"
					    -device "e1000e,netdev=n$i,romfile=,bus=phb$i.0")
			fi ;;
		esac
	done
	APPEND="console=hvc0 panic=-1 spapr.machine=$m spapr.boot=$boot spapr.suite=$SUITE spapr.seed=$SEED spapr.random=$RANDOM_CASES"
	[[ -n ${SPAPR_CASES:-} ]] && APPEND+=" spapr.cases=$SPAPR_CASES"
	QEMU_ARGS+=(-append "$APPEND")
}

# Boot machine $1 for boot number $2; the console goes to
# results/logs/<m>[-boot<n>]-console.log, the records to results/<m>[-boot<n>].txt.
# Prints why on stdout and returns non-zero if no results came back.
boot_machine() {
	local m=$1 boot=$2 tag console out rc=0
	tag=$m
	((boot)) && tag=$m-boot$boot
	console=$LOGDIR/$tag-console.log
	out=$RESULTS/$tag.txt
	qemu_args "$m" "$boot"
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
	log "$tag: $(grep -m1 '^@@ G uptime' "$out" | cut -d' ' -f3-), cases $(grep -m1 '^@@ T' "$out" | cut -d' ' -f3-)"
	if grep -q '^@@ X' "$out"; then
		grep '^@@ X' "$out" | sed "s/^/    $tag: /" >&2
	fi
	echo "$out"
}

# All boots of machine $1, one after the other (a background job when the
# machines run in parallel). Leaves results/<m>.state: the result files, the
# wall time and, on failure, the reason.
boot_all() {
	local m=$1 t boot line state=$RESULTS/$1.state
	t=$(now)
	: >"$state"
	for ((boot = 0; boot < BOOTS; boot++)); do
		if ! line=$(boot_machine "$m" "$boot"); then
			echo "reason=$line" >>"$state"
			break
		fi
		echo "file=$line" >>"$state"
	done
	echo "wall=$(elapsed "$t")" >>"$state"
}

# Boot every machine, $JOBS at a time (each QEMU is one TCG thread).
boot_machines() {
	local m running=0
	for m in "${MACHINES[@]}"; do
		if ((JOBS > 1)); then
			boot_all "$m" &
			running=$((running + 1))
			if ((running >= JOBS)); then
				wait -n || true
				running=$((running - 1))
			fi
		else
			boot_all "$m"
		fi
	done
	wait
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
	"$DIFF_BIN" "${args[@]}" --machine "$m" \
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
	for m in "${MACHINES[@]}"; do
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

write_summary() {
	local m first=1
	{
		printf '{"suite":"%s","kernel":"%s","seed":%s,"random":%s,"guest_build":"%s","times":{' \
			"$SUITE" "$KVER" "$SEED" "$RANDOM_CASES" "${GUEST_BUILD_NOTE:-}"
		local k sep=
		for k in "${!TIMES[@]}"; do printf '%s"%s":%s' "$sep" "$k" "${TIMES[$k]}"; sep=,; done
		printf '},"machines":['
		for m in "${MACHINES[@]}"; do
			((first)) || printf ','
			first=0
			printf '{"machine":"%s","status":"%s","wall_s":%s,"agreement":"%s","reason":"%s"}' \
				"$m" "${MACHINE_STATUS[$m]:-fail}" "${MACHINE_TIME[$m]:-0}" \
				"${MACHINE_AGREE[$m]:-}" "${MACHINE_REASON[$m]//\"/\'}"
		done
		printf ']}\n'
	} >"$RESULTS/summary.json"
	for m in "${MACHINES[@]}"; do
		[[ -n ${MACHINE_AGREE[$m]:-} ]] && echo "${MACHINE_AGREE[$m]}"
	done
}
