# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=sh
# Suite "lifecycle" (sourced by /init): Debian's ppc64el dpdk-testpmd with
# librte_bus_spapr.so through a process's whole life on the real kernel,
# on the two NICs joined by a QEMU hub (guest RAM 4 GiB). Steps, each with
# a verdict line "@@ V step=<name> verdict=pass|fail ..." (the host fails
# the suite on any "fail" and on a step that left no verdict):
#   grow-auto      no -m: memory grows after EAL init (hugepages), policy=auto
#   grow-indirect  the same with policy=indirect (refused with the
#                  plugin's reason where DPDK has no physical addresses)
#   pa             --iova-mode=pa, forwarding (n/a without hugepages: DPDK
#                  has no physical addresses then)
#   large          -m 1024, forwarding
#   hotplug        port stop all, port close 0, device detach <its PCI
#                  address>, port attach <it>, port start all, forwarding
#   secondary      dpdk-proc-info -- --stats and --xstats against the
#                  forwarding primary: both ports' counters moving
#   kill9          kill -9 of a forwarding testpmd, then a restart with the
#                  same file prefix: VmLck equal, memory back, no kernel warning
#   back2back      two runs one after the other, each forwarding
#   timing         start-up and mapping phase (first to last sPAPR ioctl,
#                  strace -ttt) at each DPDK memory size, plugin and stock
#                  DPDK; records "@@ T", no verdict on times
# Kernel command line: spapr.lc_steps=a,b (default: all),
# spapr.lc_sizes=64,256,1024 (plugin timing), spapr.lc_stock_sizes=64,256,
# spapr.lc_stock_timeout=S (guest seconds stock DPDK may take to its prompt).
# Variables are prefixed LC_ and functions lc_: this runs inside init's shell.
LC_LIBDIR=/usr/lib/powerpc64le-linux-gnu
export PATH=/usr/bin:/bin
export LD_LIBRARY_PATH=$LC_LIBDIR:/lib/powerpc64le-linux-gnu
LC_PLUGIN=/opt/spapr-dpdk/librte_bus_spapr.so
LC_OUT=/tmp/results.txt
LC_STEPS=grow-auto,grow-indirect,pa,large,hotplug,secondary,kill9,back2back,timing
LC_SIZES=64,256,1024
LC_STOCK_SIZES=64,256
LC_STOCK_TIMEOUT=300
LC_PROMPT_TIMEOUT=180	# guest seconds to testpmd's prompt (plugin)
LC_CMD_TIMEOUT=120	# guest seconds one interactive command may take
LC_BASE_MEM=64		# MiB, the steps that do not vary it
# shellcheck disable=SC2013 # the command line is words
for w in $(cat /proc/cmdline); do
	case $w in
	spapr.lc_steps=*) LC_STEPS=${w#*=} ;;
	spapr.lc_sizes=*) LC_SIZES=${w#*=} ;;
	spapr.lc_stock_sizes=*) LC_STOCK_SIZES=${w#*=} ;;
	spapr.lc_stock_timeout=*) LC_STOCK_TIMEOUT=${w#*=} ;;
	esac
done

mkdir -p /var/run /dev/hugepages
mount -t tmpfs tmpfs /var/run

# 2M hugepages where the kernel has them (pseries), enough for the largest
# size plus growth; QEMU's powernv under radix has none (doc/testbed.md).
LC_HP=/sys/kernel/mm/hugepages/hugepages-2048kB
LC_HUGE=no
LC_MAX=$LC_BASE_MEM
for s in $(echo "$LC_SIZES,$LC_STOCK_SIZES" | tr ',' ' '); do [ "$s" -gt "$LC_MAX" ] && LC_MAX=$s; done
case ",$LC_STEPS," in *,large,*) [ 1024 -gt "$LC_MAX" ] && LC_MAX=1024 ;; esac
if [ -d $LC_HP ]; then
	echo $((LC_MAX / 2 + 64)) >$LC_HP/nr_hugepages 2>/dev/null
	if [ "$(cat $LC_HP/nr_hugepages)" -ge $((LC_MAX / 2 + 16)) ] &&
	   mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages; then
		LC_HUGE=yes
	fi
fi
LC_ALLOW=''
for n in $NICS; do LC_ALLOW="$LC_ALLOW -a $n"; done
# Port 0 is the lowest PCI address (bus_pci probes in address order).
LC_PORT0=$(for n in $NICS; do echo "$n"; done | sort | head -n 1)
echo "lifecycle: hugepages=$LC_HUGE (max $LC_MAX MiB); kernel $(cat /etc/kernel-release); page size $(getconf PAGESIZE 2>/dev/null || echo ?); RAM $(sed -n 's/^MemTotal: *//p' /proc/meminfo)" >>/tmp/env.txt

lc_uptime() { cut -d' ' -f1 /proc/uptime; }
lc_since() { awk -v a="$1" -v b="$(lc_uptime)" 'BEGIN { printf "%.1f", b - a }'; }
lc_rec() { echo "$*" >>"$LC_OUT"; }

# DPDK memory arguments for $1 MiB (empty: no -m, memory grows on demand
# where there are hugepages; --no-huge gives a fixed 64 MiB otherwise).
lc_memargs() {
	if [ $LC_HUGE = yes ]; then
		echo "${1:+-m $1 }--huge-dir /dev/hugepages"
	else
		echo "--no-huge${1:+ -m $1}"
	fi
}

# Process $1 exists and is not a zombie.
lc_alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

# The pid of the running dpdk-testpmd (under strace, $! is strace's); not
# a zombie of an earlier session (lc_start kills a stuck one after its
# strace, and init, its new parent, reaps it late).
lc_testpmd_pid() {
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = dpdk-testpmd ] || continue
		c=${c%/comm}
		lc_alive "${c#/proc/}" && { echo "${c#/proc/}"; return 0; }
	done
	return 1
}

lc_vmlck_kib() { sed -n 's/^VmLck:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
lc_meminfo() { sed -n "s/^$1: *\\([0-9]*\\).*/\\1/p" /proc/meminfo; }
# Kernel warnings so far: a new one during a step fails it.
lc_kwarn() { dmesg | grep -cE 'WARNING:|BUG:|Oops|leak|refcount_t|Bad page'; }

# testpmd writes its prompt unbuffered (the rest of its stdout, a file, is
# buffered until it exits): prompts so far = commands completed + 1. Only
# the prompt's tail is counted: a flush from another thread can land inside
# the prompt ("tesDone ... tpmd> " on powernv9, link state events).
lc_prompts() { grep -o 'md> ' "$LC_LOG" 2>/dev/null | wc -l; }

# That count alone is not enough: DPDK's cmdline writes the prompt one
# byte per write(2) (lib/cmdline cmdline_write_char), so a flush of the
# buffered output from another thread (link state change events after
# "port start all") can land between any two of its bytes, its tail
# included ("testpm" ... "d> "), and the prompt is never counted. The
# other sign that a command is done does not depend on the log: cmdline
# reads its standard input one byte at a time and runs a command at its
# newline, so once testpmd's main thread has read every byte sent
# (rchar, /proc/PID/task/PID/io) and is blocked in read(2) on fd 0 again
# (/proc/PID/syscall, whose first field is the syscall number), the
# command has returned and its prompt is written.
case $(uname -m) in
x86_64) LC_NR_READ=0 ;;	# the same script on the development machine
*) LC_NR_READ=3 ;;	# ppc64, ppc64le
esac
lc_rchar() { sed -n 's/^rchar: *//p' "/proc/$LC_TPID/task/$LC_TPID/io" 2>/dev/null; }
lc_reading() {
	# shellcheck disable=SC2046 # the fields of the file
	set -- $(cat "/proc/$LC_TPID/syscall" 2>/dev/null)
	[ "${1:-}" = $LC_NR_READ ] && [ "${2:-}" = 0x0 ]
}

# Wait until there are more than $1 prompts, or testpmd's main thread has
# read at least $3 bytes (when given) and waits for more input; 1 on
# timeout ($2 s) or exit. LC_DONE_BY says which sign came: prompt|input.
lc_wait_prompt() {
	lc_w=0
	LC_DONE_BY=''
	while :; do
		[ "$(lc_prompts)" -gt "$1" ] && { LC_DONE_BY=prompt; return 0; }
		[ -n "$LC_TPID" ] || LC_TPID=$(lc_testpmd_pid)
		if [ -n "${3:-}" ] && [ -n "$LC_TPID" ] && [ "$(lc_rchar)" -ge "$3" ] 2>/dev/null &&
		   lc_reading; then
			LC_DONE_BY=input
			return 0
		fi
		lc_alive "$LC_PID" || return 1
		[ $lc_w -ge $(($2 * 5)) ] && return 1
		usleep 200000
		lc_w=$((lc_w + 1))
	done
}

# lc_start NAME STRACE(0|1) SPAPR_DPDK_OPTS MEMARGS EXTRA_EAL_ARGS [TIMEOUT]
# Starts testpmd in the background, reading commands from a fifo, and waits
# for its prompt. Sets LC_LOG LC_ST LC_PID LC_TPID LC_STARTED(yes|no)
# LC_STARTUP_S; the strace output at the prompt is kept in $LC_ST.prompt.
# LC_PREFIX, when set, is the --file-prefix (else lc<NAME>).
lc_start() {
	LC_NAME=$1
	LC_LOG=/tmp/lc-$1.log LC_ST=/tmp/lc-$1.st LC_FIFO=/tmp/lc-$1.in
	lc_trace=$2 lc_opts=$3 lc_mem=$4 lc_extra=$5 lc_to=${6:-$LC_PROMPT_TIMEOUT}
	rm -f "$LC_FIFO" "$LC_ST" "$LC_ST.prompt"
	mkfifo "$LC_FIFO"
	exec 4<>"$LC_FIFO"
	lc_wrap=''
	[ "$lc_trace" = 1 ] && lc_wrap="strace -f -qq -ttt -e trace=ioctl -o $LC_ST"
	LC_T0=$(lc_uptime)
	# shellcheck disable=SC2086 # word lists
	$lc_wrap env ${lc_opts:+SPAPR_DPDK_OPTS=$lc_opts} dpdk-testpmd --lcores 0@0,1@0 -n 1 \
		--file-prefix "${LC_PREFIX:-lc$1}" $lc_mem $LC_ALLOW $lc_extra \
		--log-level=lib.eal:debug --log-level=bus.spapr:debug \
		-- -i --total-num-mbufs=4096 --rxd=256 --txd=256 --forward-mode=io \
		<&4 >"$LC_LOG" 2>&1 &
	LC_PID=$!
	LC_STARTED=no
	LC_TPID=''
	# Nothing is read from standard input before the first prompt.
	lc_wait_prompt 0 "$lc_to" 0 && LC_STARTED=yes
	LC_STARTUP_S=$(lc_since "$LC_T0")
	[ "$lc_trace" = 1 ] && cp "$LC_ST" "$LC_ST.prompt" 2>/dev/null
	LC_TPID=$(lc_testpmd_pid)
	# No prompt in time and still running: what each of testpmd's threads
	# is doing (kernel and user stacks), before it is killed. The report
	# kills strace to attach; testpmd, detached, is killed here (lc_end
	# then finds both gone and records the session as killed).
	LC_REPORTED=no
	if [ $LC_STARTED = no ] && lc_alive "$LC_PID" && [ -n "$LC_TPID" ]; then
		LC_REPORTED=yes
		spapr-stuck-report "step=${LC_STEP:-?} run=$LC_NAME" "$LC_TPID" >>"$LC_OUT" 2>&1
		kill -9 "$LC_TPID" 2>/dev/null
		lc_w=0
		while [ $lc_w -lt 10 ] && lc_alive "$LC_TPID"; do sleep 1; lc_w=$((lc_w + 1)); done
	fi
}

# lc_cmd COMMAND [TIMEOUT]: one interactive command, waiting for the next
# prompt; 1 when it did not come.
lc_cmd() {
	lc_n=$(lc_prompts)
	lc_r0=$(lc_rchar)
	echo "$1" >&4
	lc_wait_prompt "$lc_n" "${2:-$LC_CMD_TIMEOUT}" $((${lc_r0:-0} + ${#1} + 1)) && return 0
	# Where testpmd's main thread is, and how its log ends, for the record.
	lc_r1=$(lc_rchar)
	lc_rec "@@ E step=${LC_STEP:-?} run=${LC_NAME:-?} command '$1' not done: read $((${lc_r1:-0} - ${lc_r0:-0})) of $((${#1} + 1)) bytes; syscall [$(cut -d' ' -f1-4 "/proc/$LC_TPID/syscall" 2>/dev/null)] wchan [$(cat "/proc/$LC_TPID/wchan" 2>/dev/null)]; log ends [$(tail -c 48 "$LC_LOG" 2>/dev/null | tr -c '[:print:]' '.')]"
	return 1
}

# lc_forward SECONDS: io forwarding after "start tx_first", then "stop".
lc_forward() {
	lc_cmd "start tx_first" || return 1
	sleep "$1"
	lc_cmd "stop"
}

# End the session: "quit" if it started (up to 60 s to exit), then
# SIGKILL; its hugepage files are removed (DPDK leaves them behind, and
# the next run with another prefix would find the pool short).
# Sets LC_EXIT and LC_KILLED.
lc_end() {
	lc_q=2
	[ $LC_STARTED = yes ] && { echo "quit" >&4; lc_q=60; }
	lc_w=0
	while [ $lc_w -lt $lc_q ] && lc_alive "$LC_PID"; do sleep 1; lc_w=$((lc_w + 1)); done
	LC_KILLED=no
	if lc_alive "$LC_PID"; then
		[ -n "$LC_TPID" ] && kill -9 "$LC_TPID" 2>/dev/null
		kill -9 "$LC_PID" 2>/dev/null
		LC_KILLED=yes
	fi
	[ "${LC_REPORTED:-no}" = yes ] && LC_KILLED=yes
	wait "$LC_PID" 2>/dev/null
	LC_EXIT=$?
	exec 4>&-
	rm -f "$LC_FIFO" /dev/hugepages/"${LC_PREFIX:-lc$LC_NAME}"*
}

# RX packets of the Nth "stop" ($1, from 1) of the ended session.
lc_rx() {
	awk -v n="$1" '/Accumulated forward statistics/ { b++; want = (b == n); next }
		want && /RX-packets:/ { sub(/.*RX-packets: */, ""); sub(/ .*/, ""); print; exit }' "$LC_LOG"
}

# Lines of the session's log and strace kept in the records: window and
# plan lines, errors, and the log tail when it did not start.
lc_keep_log() {
	grep -E 'spapr: (plan|DMA set up|memory|no memory events|indirect)|Setting DMA window|Selected IOVA mode' "$LC_LOG" |
		sed "s/^/@@ W step=$LC_STEP run=$LC_NAME /" | head -n 8 >>"$LC_OUT"
	grep -E 'spapr: .*(fail|refus|block|undone|cannot)|EAL: .*([Ee]rror|[Cc]annot|fail|unsupported)|PANIC|Cause:|Failed|not stopped|Invalid' "$LC_LOG" |
		grep -v -e 'Set IOMMU type 1 ' -e failsafe | sed "s/^/@@ E step=$LC_STEP run=$LC_NAME /" | head -n 10 >>"$LC_OUT"
	if [ "$LC_STARTED" != yes ] || [ "${1:-}" = tail ]; then
		tail -n 25 "$LC_LOG" | sed "s/^/@@ L step=$LC_STEP run=$LC_NAME /" >>"$LC_OUT"
	fi
}

# VFIO ioctl counts of strace file $1: "vfio=N register=N map=N create=N".
LC_RE_SPAPR='VFIO_IOMMU_(SPAPR_|MAP_DMA|UNMAP_DMA|ENABLE|DISABLE|GET_INFO)|0x3b, 0x7[0-8]'
lc_ioctls() {
	[ -r "$1" ] || { echo "vfio=0 register=0 map=0 create=0"; return; }
	echo "vfio=$(grep -cE 'VFIO_|0x3b, ' "$1") register=$(grep -cE 'SPAPR_REGISTER_MEMORY|0x3b, 0x75' "$1") map=$(grep -cE 'VFIO_IOMMU_MAP_DMA|0x3b, 0x71' "$1") create=$(grep -cE 'SPAPR_TCE_CREATE|0x3b, 0x77' "$1")"
}

# The mapping phase of strace file $1: from the first to the last sPAPR
# ioctl (strace -f -ttt: "<pid> <epoch.usec> ioctl(...)").
lc_map_phase() {
	grep -E "$LC_RE_SPAPR" "$1" >/tmp/lc-spapr.st 2>/dev/null
	lc_first=$(head -n 1 /tmp/lc-spapr.st | awk '{ print $2 }')
	lc_last=$(tail -n 1 /tmp/lc-spapr.st | awk '{ print $2 }')
	echo "spapr_ioctls=$(wc -l </tmp/lc-spapr.st) map_phase_s=$(awk -v a="${lc_first:-0}" -v b="${lc_last:-0}" 'BEGIN { printf "%.6f", b - a }')"
	rm -f /tmp/lc-spapr.st
}

# lc_verdict STEP pass|fail DETAILS...
lc_verdict() {
	lc_s=$1 lc_v=$2
	shift 2
	lc_rec "@@ V step=$lc_s verdict=$lc_v $*"
}

lc_bool() { if "$@"; then echo pass; else echo fail; fi; }

# --- the steps ---

# Memory growth after EAL init: no -m. With hugepages DPDK allocates on
# demand, so testpmd's mbuf pool (created after rte_eal_init, where the
# plugin sets up) is growth the plugin maps from its memory event callback;
# without hugepages DPDK has a fixed 64 MiB and no events.
lc_step_grow() {
	LC_STEP=$1
	lc_pol=$2
	lc_start "$1" 1 "policy=$lc_pol" "$(lc_memargs '')" "-d $LC_PLUGIN"
	lc_rx1=''
	[ $LC_STARTED = yes ] && lc_forward 5
	lc_end
	lc_rx1=$(lc_rx 1)
	lc_grow=$(grep -c 'mapped memory growth' "$LC_LOG")
	lc_static=$(grep -c 'no memory events' "$LC_LOG")
	lc_detail="policy=$lc_pol hugepages=$LC_HUGE started=$LC_STARTED startup_s=$LC_STARTUP_S rx=${lc_rx1:-0} growth_events=$lc_grow static_memory=$lc_static prompt:[$(lc_ioctls "$LC_ST.prompt")] end:[$(lc_ioctls "$LC_ST")] exit=$LC_EXIT"
	lc_keep_log
	if [ $LC_HUGE = no ] && [ "$lc_pol" = indirect ]; then
		# IOVA as PA needs hugepages (DPDK has no physical addresses
		# without them): the plugin must refuse and say why.
		lc_v=$(lc_bool test "$(grep -c '^Port [0-9]*: ..:' "$LC_LOG")" = 0)
		grep -q 'spapr: .*IOVA' "$LC_LOG" || lc_v=fail
		lc_verdict "$1" "$lc_v" "expect=refuse $lc_detail"
		return
	fi
	lc_v=$(lc_bool test $LC_STARTED = yes -a "${lc_rx1:-0}" -gt 0)
	# Dynamic memory must have grown, and been mapped, after set-up.
	[ $LC_HUGE = yes ] && [ "$lc_grow" -eq 0 ] && lc_v=fail
	lc_verdict "$1" "$lc_v" "expect=forward $lc_detail"
}

# IOVA as PA (--iova-mode=pa), policy auto: passes when the EAL runs IOVA
# as PA and the NICs forward. Without hugepages DPDK 22.11 has no physical
# addresses: not applicable, with the EAL's own line kept (doc/testbed.md:
# why QEMU's powernv has no hugepages DPDK can use).
lc_step_pa() {
	LC_STEP=pa
	lc_start pa 1 "" "$(lc_memargs $LC_BASE_MEM) --iova-mode=pa" "-d $LC_PLUGIN"
	[ $LC_STARTED = yes ] && lc_forward 3
	lc_end
	lc_rx1=$(lc_rx 1)
	lc_keep_log
	lc_eal=$(sed -n "s/.*Selected IOVA mode '\([A-Z]*\)'.*/\1/p" "$LC_LOG" | head -n 1)
	lc_v=$(lc_bool test $LC_STARTED = yes -a "${lc_rx1:-0}" -gt 0 -a "$lc_eal" = PA)
	[ "$lc_v" = fail ] && [ $LC_HUGE = no ] && [ "$lc_eal" != PA ] && lc_v=n/a
	lc_verdict pa "$lc_v" "hugepages=$LC_HUGE eal_iova=${lc_eal:-none} started=$LC_STARTED rx=${lc_rx1:-0} prompt:[$(lc_ioctls "$LC_ST.prompt")] exit=$LC_EXIT"
}

lc_step_large() {
	LC_STEP=large
	lc_start large 1 "" "$(lc_memargs 1024)" "-d $LC_PLUGIN"
	lc_vm=$(lc_vmlck_kib "$LC_TPID")
	[ $LC_STARTED = yes ] && lc_forward 5
	lc_end
	lc_rx1=$(lc_rx 1)
	lc_keep_log
	# Its start-up is the plugin's timing run at 1 GiB (no second one:
	# on powernv the kernel pins and maps 1 GiB in 4K pages for minutes).
	lc_time_record plugin 1024 large
	lc_verdict large "$(lc_bool test $LC_STARTED = yes -a "${lc_rx1:-0}" -gt 0)" \
		"mem=1024 hugepages=$LC_HUGE started=$LC_STARTED startup_s=$LC_STARTUP_S vmlck_kib=${lc_vm:-?} rx=${lc_rx1:-0} prompt:[$(lc_ioctls "$LC_ST.prompt")] exit=$LC_EXIT"
}

lc_step_hotplug() {
	LC_STEP=hotplug
	lc_start hotplug 1 "" "$(lc_memargs $LC_BASE_MEM)" "-d $LC_PLUGIN"
	lc_steps='' lc_ok=1
	if [ $LC_STARTED = yes ]; then
		lc_forward 3 || lc_ok=0
		# DPDK 22.11's close releases the port, so "port detach 0" after
		# "port close 0" finds no port 0: the device goes by its address.
		for lc_c in "port stop all" "port close 0" "device detach $LC_PORT0" "port attach $LC_PORT0" "port start all"; do
			if lc_cmd "$lc_c"; then lc_r=ok-$LC_DONE_BY; else lc_r=timeout; lc_ok=0; fi
			lc_steps="$lc_steps${lc_steps:+,}$(echo "$lc_c" | tr ' ' _):$lc_r"
			[ $lc_r = timeout ] && break
		done
		cp "$LC_ST" "$LC_ST.attached" 2>/dev/null
		[ $lc_ok = 1 ] && { lc_forward 5 || lc_ok=0; }
	else
		lc_ok=0
	fi
	lc_end
	lc_rx1=$(lc_rx 1) lc_rx2=$(lc_rx 2)
	lc_att=$(grep -c 'is attached. Now total ports is 2' "$LC_LOG")
	lc_det=$(grep -c "Device $LC_PORT0 is detached" "$LC_LOG")
	lc_keep_log tail
	[ "${lc_rx2:-0}" -gt 0 ] && [ "$lc_att" -ge 1 ] && [ "$lc_det" -ge 1 ] || lc_ok=0
	lc_verdict hotplug "$(lc_bool test $lc_ok = 1)" \
		"port0=$LC_PORT0 started=$LC_STARTED rx_before=${lc_rx1:-0} commands=$lc_steps detached=$lc_det attached=$lc_att rx_after=${lc_rx2:-0} prompt:[$(lc_ioctls "$LC_ST.prompt")] after_attach:[$(lc_ioctls "$LC_ST.attached")] exit=$LC_EXIT"
}

# DPDK's memory in the secondary step's primary: DPDK asks for it at 4 GiB
# (eal_get_baseaddr), where ppc64 loads position-independent programs
# (ELF_ET_DYN_BASE plus a random offset), so it lands where the kernel puts
# it, top-down under the libraries near 64 TiB; a secondary, another program
# with its own random layout, often has something there ("Cannot reserve
# 17179869184 bytes at [0x3ffbaee00000] - please use '--base-virtaddr'").
# 16 TiB is far from both in every process.
LC_SECONDARY_BASE=0x100000000000

# lc_proc_counts LOG: "port:rx/tx ..." of dpdk-proc-info --stats output.
lc_proc_counts() {
	awk '/NIC statistics for port/ { p = $0; sub(/.*for port */, "", p); sub(/ .*/, "", p) }
		p != "" && /^  RX-packets:/ { rx[p] = $2 }
		p != "" && /^  TX-packets:/ { tx[p] = $2; printf "%s%s:%s/%s", sep, p, rx[p], tx[p]; sep = ","; p = "" }' "$1"
}

# lc_proc_xcounts LOG: "port:rx_good_packets/tx_good_packets ..." of --xstats.
lc_proc_xcounts() {
	awk '/NIC extended statistics for port/ { if (p != "") { printf "%s%s:%s/%s", sep, p, rx + 0, tx + 0; sep = "," }
			p = $0; sub(/.*for port */, "", p); sub(/ .*/, "", p); rx = tx = "" }
		p != "" && /^rx_good_packets: / { rx = $2 }
		p != "" && /^tx_good_packets: / { tx = $2 }
		END { if (p != "") printf "%s%s:%s/%s", sep, p, rx + 0, tx + 0 }' "$1"
}

# Every port of "port:rx/tx,..." ($1) has both counters above 0, and there
# are at least 2.
lc_all_moving() {
	echo "$1" | tr ',' '\n' | awk -F'[:/]' 'NF == 3 { n++; if ($2 + 0 > 0 && $3 + 0 > 0) ok++ }
		END { exit !(n >= 2 && ok == n) }'
}

lc_step_secondary() {
	LC_STEP=secondary
	# The libraries the secondary links that the primary does not
	# (/etc/lc-primary-libs, lib/suite-lifecycle.sh): their tail queues.
	lc_libs=$(sed 's/^/-d /' /etc/lc-primary-libs 2>/dev/null | tr '\n' ' ')
	lc_start secondary 0 "" "$(lc_memargs $LC_BASE_MEM) --base-virtaddr $LC_SECONDARY_BASE" \
		"-d $LC_PLUGIN $lc_libs"
	lc_prc=none lc_xrc=none lc_counts='' lc_xcounts=''
	lc_bare=none lc_bare_ports=0
	if [ $LC_STARTED = yes ]; then
		lc_cmd "start tx_first"
		sleep 2
		# Without the plugin first, for the record (no verdict): where
		# the EAL registers its VFIO action before the bus probe
		# (24.11, 25.11) the primary's plugin answers it already; 22.11
		# waits for a secondary's plugin to ask (doc/plugin.md).
		timeout 180 dpdk-proc-info --file-prefix lcsecondary -- --stats \
			>/tmp/lc-proc-info-bare.log 2>&1
		lc_bare=$?
		lc_bare_ports=$(grep -c 'NIC statistics for port [0-9]' /tmp/lc-proc-info-bare.log)
		# The secondary attaches to the primary's memory and devices;
		# it loads the plugin too (the EAL of both must agree).
		# dpdk-proc-info puts --log-level=6 (NOTICE, global) before
		# these arguments: 7 lets the INFO lines through again.
		timeout 180 dpdk-proc-info --file-prefix lcsecondary -d "$LC_PLUGIN" \
			--log-level=7 --log-level=bus.spapr:debug -- --stats \
			>/tmp/lc-proc-info.log 2>&1
		lc_prc=$?
		timeout 180 dpdk-proc-info --file-prefix lcsecondary -d "$LC_PLUGIN" -- --xstats \
			>/tmp/lc-proc-xstats.log 2>&1
		lc_xrc=$?
		lc_cmd "stop"
	fi
	lc_end
	lc_rx1=$(lc_rx 1)
	lc_keep_log
	lc_counts=$(lc_proc_counts /tmp/lc-proc-info.log 2>/dev/null)
	lc_xcounts=$(lc_proc_xcounts /tmp/lc-proc-xstats.log 2>/dev/null)
	grep -E 'spapr:|EAL: .*([Ee]rror|[Cc]annot|fail|unsupported|secondary|IOMMU type)|Cause:' /tmp/lc-proc-info.log 2>/dev/null |
		head -n 16 | sed 's/^/@@ E step=secondary run=proc-info /' >>"$LC_OUT"
	# The secondary's output (its EAL and plugin lines, then the
	# statistics, without the all-zero per-queue registers), and the
	# counters of --xstats.
	grep -v -e 'Stats reg' -e '^ *$' /tmp/lc-proc-info.log 2>/dev/null | head -n 80 | tr -d '\r' |
		sed 's/^/@@ S step=secondary run=proc-info /' >>"$LC_OUT"
	grep -E 'NIC extended statistics for port|^(rx|tx)_good_(packets|bytes): ' /tmp/lc-proc-xstats.log 2>/dev/null |
		head -n 12 | sed 's/^/@@ S step=secondary run=proc-info-xstats /' >>"$LC_OUT"
	grep -E 'Could not sync|IOMMU type|No Ethernet|Cause:' /tmp/lc-proc-info-bare.log 2>/dev/null | head -n 4 |
		sed 's/^/@@ E step=secondary run=proc-info-without-plugin /' >>"$LC_OUT"
	grep -E 'spapr: .*VFIO|answers|Could not sync' "$LC_LOG" 2>/dev/null | head -n 4 |
		sed 's/^/@@ E step=secondary run=primary /' >>"$LC_OUT"
	[ "$lc_prc" = 0 ] || tail -n 20 /tmp/lc-proc-info.log 2>/dev/null | sed 's/^/@@ L step=secondary run=proc-info /' >>"$LC_OUT"
	[ "$lc_xrc" = 0 ] || tail -n 20 /tmp/lc-proc-xstats.log 2>/dev/null | sed 's/^/@@ L step=secondary run=proc-info-xstats /' >>"$LC_OUT"
	lc_v=$(lc_bool test "$lc_prc" = 0 -a "$lc_xrc" = 0 -a "${lc_rx1:-0}" -gt 0)
	# Counters of both forwarding ports moving, read by the secondary.
	lc_all_moving "$lc_counts" || lc_v=fail
	lc_all_moving "$lc_xcounts" || lc_v=fail
	# DPDK attaches a secondary through the primary's hugepage files: a
	# --no-huge primary (no hugepages here) has none, whatever the bus
	# does. Not applicable then, and said so.
	if [ "$lc_v" = fail ] && [ $LC_HUGE = no ] && grep -q 'Cannot get hugepage information' /tmp/lc-proc-info.log; then
		lc_v=n/a
	fi
	lc_verdict secondary "$lc_v" \
		"hugepages=$LC_HUGE base_virtaddr=$LC_SECONDARY_BASE primary_started=$LC_STARTED without_plugin=exit:$lc_bare,ports:$lc_bare_ports proc_info_exit=$lc_prc stats=[${lc_counts:-none}] xstats_exit=$lc_xrc xstats=[${lc_xcounts:-none}] primary_rx=${lc_rx1:-0} primary_exit=$LC_EXIT"
}

# kill -9 of a forwarding testpmd, then a restart with the same file
# prefix in the same boot. The kernel releases what the process held when
# its files close (the container: its windows, registrations and the
# locked_vm they were accounted to, doc/kernel-model.md §3.5): the restart
# must get the same VmLck, the pinned memory must be free again, and the
# kernel must not warn.
lc_step_kill9() {
	LC_STEP=kill9
	lc_w0=$(lc_kwarn)
	lc_free0=$(lc_meminfo MemFree) lc_hp0=$(lc_meminfo HugePages_Free)
	LC_PREFIX=lckill9
	lc_start kill9 0 "" "$(lc_memargs $LC_BASE_MEM)" "-d $LC_PLUGIN"
	lc_started1=$LC_STARTED lc_vm1=$(lc_vmlck_kib "$LC_TPID") lc_pid1=$LC_TPID
	lc_gone=no
	if [ $LC_STARTED = yes ]; then
		lc_cmd "start tx_first"
		sleep 2
		kill -9 "$LC_TPID"
		lc_w=0
		while [ $lc_w -lt 30 ] && lc_alive "$LC_TPID"; do sleep 1; lc_w=$((lc_w + 1)); done
		lc_alive "$LC_TPID" || lc_gone=yes
	fi
	# (lc_end removes its hugepage files, which stay behind after SIGKILL,
	# so that a page still pinned shows in HugePages_Free.)
	lc_end
	lc_keep_log
	sleep 1
	lc_free1=$(lc_meminfo MemFree) lc_hp1=$(lc_meminfo HugePages_Free)
	lc_start kill9-restart 0 "" "$(lc_memargs $LC_BASE_MEM)" "-d $LC_PLUGIN"
	lc_vm2=$(lc_vmlck_kib "$LC_TPID")
	[ $LC_STARTED = yes ] && lc_forward 3
	lc_end
	LC_PREFIX=''
	lc_rx2=$(lc_rx 1)
	lc_keep_log
	lc_w1=$(lc_kwarn)
	lc_ok=1
	[ "$lc_started1" = yes ] && [ $lc_gone = yes ] && [ $LC_STARTED = yes ] || lc_ok=0
	[ "${lc_rx2:-0}" -gt 0 ] || lc_ok=0
	# The same locked charge in the restart, to within 1 MiB: testpmd's
	# mlockall() puts every mapping of the process in VmLck, and those vary
	# by a few hundred KiB between identical runs (732 KiB seen on
	# pseries); the plugin's own charges (a TCE table of 2 MiB or more, the
	# registrations) would differ by more. A charge the kill left behind
	# would be the dead mm's: the hugepage and MemFree checks below see it.
	[ -n "$lc_vm1" ] && [ "$lc_vm1" -gt 0 ] && [ -n "$lc_vm2" ] &&
		[ $((lc_vm1 > lc_vm2 ? lc_vm1 - lc_vm2 : lc_vm2 - lc_vm1)) -lt 1024 ] || lc_ok=0
	[ "$lc_w1" = "$lc_w0" ] || lc_ok=0
	# Memory back: every hugepage (a count), or with --no-huge no more
	# than half the DPDK memory missing (a leak of its pinned pages
	# would miss all of it).
	if [ $LC_HUGE = yes ]; then
		[ "$lc_hp1" = "$lc_hp0" ] || lc_ok=0
	else
		[ $((lc_free0 - lc_free1)) -lt $((LC_BASE_MEM * 1024 / 2)) ] || lc_ok=0
	fi
	lc_verdict kill9 "$(lc_bool test $lc_ok = 1)" \
		"started=$lc_started1 pid=$lc_pid1 vmlck_kib=${lc_vm1:-?} killed_gone=$lc_gone memfree_kib_before=$lc_free0 memfree_kib_after_kill=$lc_free1 hugepages_free_before=${lc_hp0:-0} hugepages_free_after_kill=${lc_hp1:-0} restart_started=$LC_STARTED restart_vmlck_kib=${lc_vm2:-?} restart_rx=${lc_rx2:-0} restart_exit=$LC_EXIT kernel_warnings_new=$((lc_w1 - lc_w0))"
}

lc_step_back2back() {
	LC_STEP=back2back
	lc_res='' lc_ok=1 lc_vms=''
	for lc_i in 1 2; do
		lc_start "b2b-$lc_i" 0 "" "$(lc_memargs $LC_BASE_MEM)" "-d $LC_PLUGIN"
		lc_vm=$(lc_vmlck_kib "$LC_TPID")
		[ $LC_STARTED = yes ] && lc_forward 3
		lc_end
		lc_rx1=$(lc_rx 1)
		lc_keep_log
		lc_res="$lc_res run$lc_i:started=$LC_STARTED,vmlck_kib=${lc_vm:-?},rx=${lc_rx1:-0},exit=$LC_EXIT,killed=$LC_KILLED"
		[ $LC_STARTED = yes ] && [ "${lc_rx1:-0}" -gt 0 ] && [ "$LC_EXIT" = 0 ] || lc_ok=0
		lc_vms="$lc_vms ${lc_vm:-?}"
	done
	# shellcheck disable=SC2086
	set -- $lc_vms
	[ "$1" = "$2" ] && [ "$1" != '?' ] || lc_ok=0
	set --
	lc_verdict back2back "$(lc_bool test $lc_ok = 1)" "$lc_res"
}

# One timing run: $1 plugin|stock, $2 MiB. testpmd under strace -ttt to
# its prompt, then quit. Records "@@ T".
lc_time_run() {
	lc_args='' lc_to=$LC_PROMPT_TIMEOUT
	[ "$1" = plugin ] && lc_args="-d $LC_PLUGIN"
	[ "$1" = stock ] && lc_to=$LC_STOCK_TIMEOUT
	lc_start "t-$1-$2" 1 "" "$(lc_memargs "$2")" "$lc_args" "$lc_to"
	lc_end
	lc_keep_log
	lc_time_record "$1" "$2" timing
	rm -f "$LC_ST" "$LC_ST.prompt"
	[ "$1" = stock ] || [ "$lc_st" = yes ]
}

# lc_time_record plugin|stock MiB STEP: the "@@ T" record of the session
# that just ended (strace at its prompt).
# started: yes (prompt and ports), no-ports (a prompt without ports: the
# DMA set-up refused the NICs, stock DPDK on pseries) or no.
lc_time_record() {
	lc_ports=$(grep -c '^Port [0-9]*: ..:' "$LC_LOG")
	lc_st=$LC_STARTED
	[ "$lc_st" = yes ] && [ "$lc_ports" -eq 0 ] && lc_st=no-ports
	lc_rec "@@ T mode=$1 mem=$2 step=$3 hugepages=$LC_HUGE started=$lc_st ports=$lc_ports startup_s=$LC_STARTUP_S $(lc_map_phase "$LC_ST.prompt") $(lc_ioctls "$LC_ST.prompt") exit=$LC_EXIT killed=$LC_KILLED"
}

lc_step_timing() {
	LC_STEP=timing
	lc_ok=1 lc_res=''
	for lc_m in $(echo "$LC_SIZES" | tr ',' ' '); do
		if grep -q "^@@ T mode=plugin mem=$lc_m " "$LC_OUT"; then
			lc_res="$lc_res plugin-$lc_m:measured-before"
			continue
		fi
		lc_time_run plugin "$lc_m" || lc_ok=0
		lc_res="$lc_res plugin-$lc_m:$lc_st"
	done
	# Stock DPDK is recorded whatever it does (it cannot start on some
	# machines); only the plugin must reach its prompt.
	for lc_m in $(echo "$LC_STOCK_SIZES" | tr ',' ' '); do
		lc_time_run stock "$lc_m"
		lc_res="$lc_res stock-$lc_m:$lc_st"
	done
	lc_verdict timing "$(lc_bool test $lc_ok = 1)" "$lc_res"
}

echo "@@ BEGIN" >"$LC_OUT"
lc_rec "@@ I suite lifecycle machine=$MACHINE steps=$LC_STEPS sizes=$LC_SIZES stock_sizes=$LC_STOCK_SIZES hugepages=$LC_HUGE port0=$LC_PORT0"
for lc_step in $(echo "$LC_STEPS" | tr ',' ' '); do
	lc_t=$(lc_uptime)
	case $lc_step in
	grow-auto) lc_step_grow grow-auto auto ;;
	grow-indirect) lc_step_grow grow-indirect indirect ;;
	pa) lc_step_pa ;;
	large) lc_step_large ;;
	hotplug) lc_step_hotplug ;;
	secondary) lc_step_secondary ;;
	kill9) lc_step_kill9 ;;
	back2back) lc_step_back2back ;;
	timing) lc_step_timing ;;
	*) lc_verdict "$lc_step" fail "unknown step" ;;
	esac
	lc_rec "@@ I step=$lc_step guest_s=$(lc_since "$lc_t")"
done
echo "@@ END" >>"$LC_OUT"
