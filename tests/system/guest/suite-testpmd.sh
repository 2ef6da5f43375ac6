# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# Suite "testpmd" (sourced by /init; the plugin in stock testpmd): Debian's ppc64el
# dpdk-testpmd drives the two e1000e NICs (QEMU hub between them) with
# DPDK's own net_e1000_em PMD, three ways in this one guest:
#   plugin    -d librte_bus_spapr.so, default options (policy=auto)
#   indirect  the same with SPAPR_DPDK_OPTS=policy=indirect
#   baseline  no plugin: stock DPDK's own sPAPR code
# (the baseline runs last: if it fails it may leave the PE in a state that
# says nothing about the plugin). Each run is under strace, which counts
# the VFIO ioctls until testpmd's prompt (-ttt: in a log tail, how long
# before spapr-stuck-report's epoch= the last one was). Forwarding: "start tx_first",
# io mode, so the first burst circulates NIC0 -> hub -> NIC1 -> ... .
# Records: @@ P (one line per mode), @@ W (window / plan lines),
# @@ E (error lines), @@ L (log tail when a run did not start; when it
# did not reach its prompt in time, where each thread was: spapr-stuck-report).
LIBDIR=/usr/lib/powerpc64le-linux-gnu
export PATH=/usr/bin:/bin
export LD_LIBRARY_PATH=$LIBDIR:/lib/powerpc64le-linux-gnu
PLUGIN=/opt/spapr-dpdk/librte_bus_spapr.so
TP_MEM=64		# MiB of DPDK memory
TP_FWD_SECONDS=${TP_FWD_SECONDS:-10}
TP_START_TIMEOUT=180	# guest seconds to the prompt
TP_VA_STARTS=0		# start-ups per set of va_starts (spapr.tp_va_starts=N)
TP_HOTPLUG_FWD_SECONDS=3	# forwarding after port 1 was detached and attached again
TP_HOTPLUG=no		# tests/system/run --testpmd-hotplug: the plugin run does it
HOTPLUG=no
SUITE=testpmd
for w in $(cat /proc/cmdline); do
	case $w in
	spapr.tp_start_timeout=*) TP_START_TIMEOUT=${w#*=} ;;
	spapr.tp_va_starts=*) TP_VA_STARTS=${w#*=} ;;
	spapr.tp_hotplug=1) TP_HOTPLUG=yes ;;
	spapr.suite=*) SUITE=${w#*=} ;;
	esac
done
# Suite virtio only: net_virtio's init and driver logs (which feature bits
# were negotiated, control-queue commands) go into the log tail records.
PMD_LOG=''
[ "$SUITE" = virtio ] && PMD_LOG="--log-level=pmd.net.virtio.init:debug --log-level=pmd.net.virtio.driver:debug"

mkdir -p /var/run /dev/hugepages
mount -t tmpfs tmpfs /var/run

# Hugepages: 2M pages where the kernel has them (pseries; QEMU's powernv
# with radix has no hugetlb: qemu-power-testbed.md), else --no-huge.
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
MEMARGS="--no-huge -m $TP_MEM"
if [ -d $HP ]; then
	echo $((TP_MEM / 2 + 16)) >$HP/nr_hugepages 2>/dev/null
	if [ "$(cat $HP/nr_hugepages)" -ge $((TP_MEM / 2)) ] &&
	   mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages; then
		MEMARGS="-m $TP_MEM --huge-dir /dev/hugepages"
	fi
fi
ALLOW=''
for n in $NICS; do ALLOW="$ALLOW -a $n"; done
# testpmd's port 1: bus_pci probes in address order, as the glob listed them.
NIC1=$(echo $NICS | cut -d' ' -f2)
echo "testpmd memory: $MEMARGS; kernel $(cat /etc/kernel-release); page size $(getconf PAGESIZE 2>/dev/null || echo ?)" >>/tmp/env.txt
# The DPDK of this initramfs (the host staged its exact Debian version).
echo "dpdk $(cat /etc/dpdk-version 2>/dev/null || echo unknown)" >>/tmp/env.txt

uptime_s() { cut -d' ' -f1 /proc/uptime; }
elapsed_s() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }'; }

# Running and not yet reaped: kill -0 also succeeds for a zombie.
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

# SIGKILL the children of process $1 (testpmd under strace): killing only
# strace detaches testpmd, which then keeps running and holds its hugepages,
# so the next mode finds too little memory.
kill_children() {
	for s in /proc/[0-9]*/stat; do
		read -r cpid _ _ ppid _ <"$s" 2>/dev/null || continue
		[ "$ppid" = "$1" ] && kill -9 "$cpid" 2>/dev/null
	done
	return 0
}

# The pid of the running dpdk-testpmd (under strace, $! is strace's); not
# a zombie of an earlier run (a killed testpmd whose strace was killed
# first is reparented to init, which reaps it late).
testpmd_pid() {
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = dpdk-testpmd ] || continue
		c=${c%/comm}
		alive "${c#/proc/}" && { echo "${c#/proc/}"; return 0; }
	done
	return 1
}

# VFIO ioctls in strace output $1 (named by strace, or as _IOC(..., 0x3b, nr)).
vfio_count() { grep -cE "$2" "$1"; }

# Port 1 detached and attached again (its IOMMU group leaves and joins the
# plugin's set-up: spapr_hotplug.c), then forwarding once more.
hotplug_cycle() {
	# testpmd 22.11 releases a closed port, so "port detach 1" after
	# "port close 1" is refused ("Invalid port_id=1"): detach the device.
	for c in "port stop all" "port close 1" "device detach $NIC1" "port attach $NIC1" \
		 "port start all"; do
		echo "$c" >&3
		sleep 1
	done
	sleep 2		# link up
	echo "start tx_first" >&3
	sleep "$TP_HOTPLUG_FWD_SECONDS"
	echo "stop" >&3
	sleep 2
}

# run_mode NAME EXPECT OPTS PLUGIN_ARGS [WRAPPER...]
run_mode() {
	name=$1 expect=$2 opts=$3 pargs=$4
	shift 4
	log=/tmp/tp-$name.log st=/tmp/st-$name.txt fifo=/tmp/tp-$name.in
	rm -f "$fifo"; mkfifo "$fifo"
	exec 3<>"$fifo"
	t0=$(uptime_s)
	# shellcheck disable=SC2086 # the argument lists are word lists
	"$@" env ${opts:+SPAPR_DPDK_OPTS=$opts} strace -f -qq -ttt -e trace=ioctl -o "$st" \
		dpdk-testpmd --lcores 0@0,1@0 -n 1 --file-prefix "tp$name" $MEMARGS $ALLOW $pargs \
		--log-level=lib.eal:debug --log-level=bus.spapr:info $PMD_LOG \
		-- -i --total-num-mbufs=4096 --rxd=256 --txd=256 --forward-mode=io \
		<&3 >"$log" 2>&1 &
	pid=$!
	started=no waited=0
	while [ $waited -lt $TP_START_TIMEOUT ]; do
		grep -q 'testpmd> ' "$log" && { started=prompt; break; }
		alive $pid || break
		sleep 1; waited=$((waited + 1))
	done
	t1=$(uptime_s)
	# No prompt in time and still running: what each of testpmd's threads
	# is doing (kernel and user stacks), before it is killed. The report
	# kills strace to attach; testpmd, detached, is killed here.
	reported=no
	if [ $started != prompt ] && alive $pid && tp=$(testpmd_pid); then
		reported=yes
		spapr-stuck-report "mode=$name" "$tp" >>/tmp/results.txt 2>&1
		kill -9 "$tp" 2>/dev/null
		w=0; while [ $w -lt 10 ] && alive "$tp"; do sleep 1; w=$((w + 1)); done
	fi
	ioctls=$(vfio_count "$st" 'VFIO_|0x3b, ')
	reg=$(vfio_count "$st" 'SPAPR_REGISTER_MEMORY|0x3b, 0x75')
	map=$(vfio_count "$st" 'VFIO_IOMMU_MAP_DMA|0x3b, 0x71')
	create=$(vfio_count "$st" 'SPAPR_TCE_CREATE|0x3b, 0x77')
	# A run that must be refused is judged by its start-up alone (no port
	# started, the plugin said why: lib/suite-testpmd.sh
	# suite_testpmd_check): with no port there is nothing to forward, and a
	# port that did start fails the verdict whatever it forwards. So it
	# quits at the prompt instead of forwarding for TP_FWD_SECONDS.
	fwd=0
	if [ $started = prompt ] && [ "${expect#refuse}" = "$expect" ]; then
		fwd=$TP_FWD_SECONDS
		echo "start tx_first" >&3
		sleep "$TP_FWD_SECONDS"
		echo "stop" >&3
		sleep 2
		[ $HOTPLUG = yes ] && hotplug_cycle
		echo "quit" >&3
	elif [ $started = prompt ]; then
		echo "quit" >&3
	fi
	# testpmd's stdout is a file, so fully buffered: read it once testpmd
	# has exited (the prompt itself is written unbuffered by cmdline).
	t3=$(uptime_s) killed=no
	# Without a prompt no "quit" was sent: nothing to wait for.
	qwait=120; [ $started = prompt ] || qwait=2
	w=0; while [ $w -lt $qwait ] && alive $pid; do sleep 1; w=$((w + 1)); done
	alive $pid && { kill_children $pid; sleep 1; kill -9 $pid 2>/dev/null; killed=yes; }
	[ $reported = yes ] && killed=yes
	wait $pid 2>/dev/null; rc=$?
	quit_s=$(elapsed_s "$t3")
	exec 3>&-
	rm -f "$fifo"
	# A killed testpmd leaves its hugepage files behind: free them for the
	# next run.
	rm -f /dev/hugepages/"tp$name"*
	ports=$(grep -cE '^Port [0-9]+: ([0-9A-Fa-f]{2}:){5}' "$log")
	[ $started = prompt ] && { [ "$ports" -gt 0 ] && started=yes || started=no-ports; }
	rx=$(grep -A 3 'Accumulated forward statistics' "$log" | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | head -n 1)
	tx=$(grep -A 3 'Accumulated forward statistics' "$log" | sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' | head -n 1)
	all=$(vfio_count "$st" 'VFIO_|0x3b, ')
	# Container ioctls (MAP/UNMAP and the SPAPR ones, 0x3b 0x70..0x78) that
	# failed in the whole run, the exit included.
	iommu_failed=$(grep -E 'VFIO_IOMMU_|0x3b, 0x7' "$st" | grep -c '= -1 ')
	hp=''
	if [ $HOTPLUG = yes ]; then
		attached=$(grep -c 'Port 1 is attached' "$log")
		detached=$(grep -c "Device $NIC1 is detached" "$log")
		n=$(grep -c 'Accumulated forward statistics' "$log")
		hp_rx=0
		[ "$n" -ge 2 ] && hp_rx=$(grep -A 3 'Accumulated forward statistics' "$log" |
			sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -n 1)
		hp=" hotplug=$NIC1 hp_detached=$detached hp_attached=$attached hp_rx=${hp_rx:-0}"
		# What testpmd, the EAL and the plugin said from the detach on.
		sed -n '/testpmd> port stop all/,$p' "$log" |
			grep -E 'testpmd> (port|start)|[Dd]etach|[Aa]ttach|Removing|Invalid|spapr:|VFIO|vfio|PCI|[Ff]ail|[Ee]rror|Cannot|^Port [0-9]' |
			head -n 60 | sed "s/^/@@ H mode=$name /" >>/tmp/results.txt
	fi
	echo "@@ P mode=$name expect=$expect started=$started ports=$ports startup_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') vfio_ioctls=$ioctls register=$reg map=$map create=$create vfio_ioctls_total=$all iommu_failed=$iommu_failed rx=${rx:-0} tx=${tx:-0} exit=$rc quit_s=$quit_s killed=$killed fwd_s=$fwd$hp at=$t0,$t1,$t3,$(uptime_s)" >>/tmp/results.txt
	grep -E 'Forward statistics for port|RX-packets|TX-packets|RX-error|RX-nombuf|TX-error' "$log" |
		sed "s/^/@@ S mode=$name /" | head -n 24 >>/tmp/results.txt
	grep -E 'spapr: (plan|DMA set up|memory|IOMMU group)|DMA window|Using IOMMU type|start address|[Hh]ighest VA' "$log" |
		sed "s/^/@@ W mode=$name /" | head -n 12 >>/tmp/results.txt
	# (EAL tries IOMMU type 1 first on every machine: not an error here.)
	grep -E 'spapr: .*(fail|refus|block|undone)|(EAL|VFIO): .*([Ee]rror|[Cc]annot|fail|unsupported)|PANIC|Cause:' "$log" |
		grep -v 'Set IOMMU type 1 ' | sed "s/^/@@ E mode=$name /" | head -n 8 >>/tmp/results.txt
	if [ $started != yes ]; then
		tail -n 25 "$log" | sed "s/^/@@ L mode=$name /" >>/tmp/results.txt
		# awk ends every line: a strace killed mid-line (spapr-stuck-report)
		# leaves the file without a final newline.
		tail -n 8 "$st" | awk -v p="@@ L mode=$name strace: " '{ print p $0 }' >>/tmp/results.txt
	fi
}

echo "@@ BEGIN" >/tmp/results.txt
# spapr-info, the doctor, on this real machine first: platform, groups,
# GET_INFO of a real container, the plan lib/dma would make for 64 MiB.
spapr-info --mem ${TP_MEM}M >/tmp/spapr-info.txt 2>&1
echo "@@ N spapr-info exit=$?" >>/tmp/results.txt
sed 's/^/@@ N /' /tmp/spapr-info.txt >>/tmp/results.txt
# Which modes must forward: the plugin always; forced indirect needs IOVA
# as PA, which DPDK cannot give without hugepages (no physical
# addresses), so there the plugin must refuse with its reason.
case $MEMARGS in
--no-huge*) IND_EXPECT=refuse ;;
*) IND_EXPECT=forward ;;
esac
HOTPLUG=$TP_HOTPLUG
run_mode plugin forward "" "-d $PLUGIN"
HOTPLUG=no
run_mode indirect "$IND_EXPECT" "policy=indirect" "-d $PLUGIN"
# Planner refusals on the real kernel: the error must be the planner's
# reason and remedy, not the kernel rejecting a repeated SET_IOMMU.
# budget: a TCE-table budget no window meets. memlock: an ordinary user's
# too small RLIMIT_MEMLOCK (1 MiB), CAP_IPC_LOCK dropped by spapr-lowcap-run
# (with it, account_locked_vm() never checks the limit).
run_mode budget refuse "table_budget=4K" "-d $PLUGIN"
run_mode memlock refuse-memlock "" "-d $PLUGIN" spapr-lowcap-run 1024 --
run_mode baseline any "" ""

# va_starts SET N [EAL ARGS]: N start-ups of testpmd with the plugin, to the
# prompt and out at once, with --no-huge (IOVA as VA, the window at 0 must
# reach DPDK's memory): where the memory landed and the window each time, as
# "@@ V set=SET start=I exit=RC high=0|1 <plan> | <memory line> | s=S" (high:
# the plugin's WARNING that the memory is not at DPDK's address hint; S the
# guest seconds to the prompt and out, exit 124 when TP_START_TIMEOUT ended it).
va_starts() {
	vset=$1 n=$2 i=1
	shift 2
	while [ "$i" -le "$n" ]; do
		log=/tmp/va-$vset-$i.log v0=$(uptime_s)
		# shellcheck disable=SC2086 # word lists
		echo quit | timeout "$TP_START_TIMEOUT" dpdk-testpmd --lcores 0@0,1@0 -n 1 \
			--file-prefix tpva $MEMARGS $ALLOW -d $PLUGIN "$@" --log-level=bus.spapr:info \
			-- -i --total-num-mbufs=4096 --rxd=256 --txd=256 >"$log" 2>&1
		rc=$?
		plan=$(sed -n 's/^spapr: plan: container 0 ([^)]*): \(.*window [^ ]* [0-9]* KiB TCEs, [0-9]* level(s)\).* locked \([0-9]*\) KiB.*/\1, locked \2 KiB/p' "$log" | head -n 1)
		mem=$(sed -n 's/^spapr: memory for IOVA as VA: //p' "$log" | head -n 1)
		high=$(grep -c 'not at its address hint' "$log")
		echo "@@ V set=$vset start=$i exit=$rc high=$high ${plan:-no plan} | ${mem:-no memory line} | s=$(elapsed_s "$v0")" >>/tmp/results.txt
		grep -m1 'not at its address hint' "$log" | sed "s/^/@@ V set=$vset start=$i /" >>/tmp/results.txt
		i=$((i + 1))
	done
}
# The default start-up, then with the --base-virtaddr the plugin advises.
case $MEMARGS in
--no-huge*)
	if [ "$TP_VA_STARTS" -gt 0 ]; then
		va_starts default "$TP_VA_STARTS"
		va_starts low "$TP_VA_STARTS" --base-virtaddr=0x1000000
	fi ;;
esac
echo "@@ END" >>/tmp/results.txt
