# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# tests/system/lib/suite-dma.sh - host side of suite "dma" (lib/dma on the real kernel):
# the lib/dma engine on the real kernel. Sourced by tests/system/run.
#
#   suite_dma_stage ROOT        cross-builds tests/live/test_dma_live (and
#                               tests/vfio/test_vfio, static) into ROOT/bin,
#                               the guest script into ROOT/suites/dma.sh, and
#                               builds the model side natively
#   suite_dma_check MACHINE FILE  one-line verdict from the guest records;
#                               returns 0 when no case failed and the program
#                               ran to its end. Also runs the same program on
#                               the host model with the matching profile and
#                               writes the comparison to
#                               $RESULTS/<machine>-dma-compare.txt.
#
# Uses WORK, SYSDIR, TOPDIR, CROSS_FILE, LOGDIR, RESULTS and
# meson_build_target/log from run and lib/build.sh.

DMA_MODEL_BIN=

# Cross-build one target in the guest build dir; 1 if it failed (logged).
dma_cross_target() {
	(meson_build_target "$WORK/build-ppc64le" "$1" --cross-file "$CROSS_FILE" \
		-Dplugin=disabled -Dtests=true -Dbuildtype=debugoptimized) \
		2>>"$LOGDIR/build-ppc64le.err"
}

suite_dma_stage() {
	local root=$1 live=$WORK/build-ppc64le/tests/live/test_dma_live
	local vfio=$WORK/build-ppc64le/tests/vfio/test_vfio host=$WORK/build-host
	mkdir -p "$root/bin" "$root/suites"
	dma_cross_target tests/live/test_dma_live ||
		fail "suite dma: cross build of test_dma_live failed (see $LOGDIR/build-ppc64le.err)"
	is_static_ppc64le "$live" || fail "suite dma: $live is not a static ppc64le binary"
	cp "$live" "$root/bin/test_dma_live"
	# test_vfio is optional: the guest reports "not staged" without it.
	if dma_cross_target tests/vfio/test_vfio && is_static_ppc64le "$vfio"; then
		cp "$vfio" "$root/bin/test_vfio"
	else
		log "suite dma: test_vfio not staged (not a static ppc64le build: $(file -b "$vfio" 2>&1 | cut -c1-60))"
	fi
	cp "$SYSDIR/guest/suite-dma.sh" "$root/suites/dma.sh"
	chmod 755 "$root/bin/test_dma_live"
	# The model side of the comparison; its absence only limits the verdict.
	if (meson_build_target "$host" tests/live/test_dma_live \
		-Dplugin=disabled -Dtests=true) 2>>"$LOGDIR/build-host.err"; then
		DMA_MODEL_BIN=$host/tests/live/test_dma_live
	else
		log "suite dma: model side not built (see $LOGDIR/build-host.err)"
	fi
}

# The host-model profile of a QEMU machine (as spapr-system-diff picks it).
dma_profile_of() {
	case $1 in
	pseries*) echo pseries-kvm ;;
	*-64k) echo "${1%-64k}" ;;
	*) echo "$1" ;;
	esac
}

# "name status" of every case line of file $1.
dma_case_status() {
	sed -n 's/^@@ L \([^ ]*\) \([^ ]*\).*/\1 \2/p' "$1"
}

# The detail of case $2 in file $1 (after "ok N checks; ").
dma_case_detail() {
	sed -n "s/^@@ L $2 ok [0-9]* checks; //p" "$1"
}

# Run the model with the guest's profile and page size; compare the plan
# details of the cases that passed on both. Prints "model: ..." summary.
dma_compare_model() {
	local m=$1 file=$2 shift_ arena prof out cmp name st same=0 total=0
	[[ -n ${DMA_MODEL_BIN:-} && -x $DMA_MODEL_BIN ]] || {
		echo "model: not built"
		return 0
	}
	shift_=$(sed -n 's/^@@ I live .*page_shift=\([0-9]*\).*/\1/p' "$file")
	arena=$(sed -n 's/^@@ I live .*arena=\(0x[0-9a-f]*\).*/\1/p' "$file")
	prof=$(dma_profile_of "$m")
	out=${RESULTS:-/tmp}/$m-dma-model.txt
	cmp=${RESULTS:-/tmp}/$m-dma-compare.txt
	local args=(--backend model --profile "$prof")
	[[ $shift_ == 12 ]] && args+=(--set system_page_size=4K)
	[[ $shift_ == 16 ]] && args+=(--set system_page_size=64K)
	# The same addresses: a 1:1 window's size depends on them.
	[[ -n $arena ]] && args+=(--arena "$arena")
	"$DMA_MODEL_BIN" "${args[@]}" >"$out" 2>&1
	: >"$cmp"
	while read -r name st; do
		local kd md
		[[ $st == ok ]] || continue
		grep -q "^@@ L $name ok " "$out" || {
			echo "case $name: kernel ok, model $(sed -n "s/^@@ L $name \([^ ]*\).*/\1/p" "$out")" >>"$cmp"
			total=$((total + 1))
			continue
		}
		total=$((total + 1))
		kd=$(dma_case_detail "$file" "$name")
		md=$(dma_case_detail "$out" "$name")
		if [[ $kd == "$md" ]]; then
			same=$((same + 1))
			echo "case $name: agree: $kd" >>"$cmp"
		else
			echo "case $name: DIFFER kernel '$kd' model '$md'" >>"$cmp"
		fi
	done < <(dma_case_status "$file")
	echo "model $prof agrees on $same/$total"
}

suite_dma_check() {
	local m=$1 file=$2 ok fail skip total skipped vfio model
	if ! grep -q '^@@ T ' "$file"; then
		echo "dma: $m: test_dma_live did not finish ($(grep -m1 -E '^@@ (X|I test_dma_live)' "$file" | cut -c4- || echo 'no records'))"
		return 1
	fi
	# grep -c exits 1 on no match: run sets -e.
	ok=$(grep -c '^@@ L [^ ]* ok' "$file" || true)
	fail=$(grep -c '^@@ L [^ ]* FAIL' "$file" || true)
	skip=$(grep -c '^@@ L [^ ]* skip' "$file" || true)
	total=$((ok + fail + skip))
	skipped=$(sed -n 's/^@@ L \([^ ]*\) skip \(.*\)/\1: \2/p' "$file" | paste -sd ';' -)
	vfio=$(sed -n 's/^@@ V test_vfio device .*exit=\([0-9]*\)/\1/p' "$file")
	case $vfio in
	0) vfio="test_vfio device ok" ;;
	77) vfio="test_vfio device skipped" ;;
	'') vfio="test_vfio not run" ;;
	*) vfio="test_vfio device FAIL (exit $vfio)"; fail=$((fail + 1)) ;;
	esac
	model=$(dma_compare_model "$m" "$file")
	# A case the kernel and the model answer differently is a model bug
	# (or an unexplained kernel behaviour): the suite fails on it.
	if [[ $model =~ agrees\ on\ ([0-9]+)/([0-9]+) ]] &&
	   ((BASH_REMATCH[1] != BASH_REMATCH[2])); then
		fail=$((fail + 1))
		model+=" (see ${RESULTS:-/tmp}/$m-dma-compare.txt)"
	fi
	printf 'dma: %s %s/%s cases ok' "$m" "$ok" "$total"
	if ((skip > 0)); then printf ' (%s skipped: %s)' "$skip" "$skipped"; fi
	if ((fail > 0)); then
		printf ', FAIL: %s' "$(sed -n 's/^@@ L \([^ ]*\) FAIL.*/\1/p' "$file" | paste -sd ' ' -)"
	fi
	printf '; %s; %s\n' "$vfio" "$model"
	[[ $fail == 0 ]]
}
