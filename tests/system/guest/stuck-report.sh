#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# spapr-stuck-report PREFIX PID
#
# Process PID (a dpdk-testpmd that did not reach its prompt in time) is
# about to be killed: say what each of its threads is doing, as
# "@@ L PREFIX ..." records on standard output, so that a start-up that
# stopped is told apart from a slow one, and the place it stopped is known
# (testpmd's own printf output is in a stdio buffer that SIGKILL throws
# away; only the EAL's log lines reach the log file).
#
#   thread TID comm=.. state=.. wchan=.. cpu_ticks=A->B (over 2 s; a
#          thread that runs in user space gains ticks, a blocked one not)
#          ctxt=VOL/NONVOL syscall=[/proc/PID/task/TID/syscall]
#   kstack TID <frame>     the kernel stack (/proc/PID/task/TID/stack)
#   tracer ...             the same line for its tracer (strace), if any
#   guest loadavg=[..]     and "other PID ..." for every other process that
#                          runs (R) or waits uninterruptibly (D, with its
#                          kernel stack)
#   ustack <eu-stack line> the user-space stack of every thread (frames
#                          with build-id@load address+offset)
#
# User-space stacks need ptrace, which the tracer (strace -f) holds: it is
# killed first (SIGKILL; the kernel then detaches its tracees, exit_ptrace()
# in kernel/ptrace.c, and PID keeps running as it was). Without eu-stack in
# the initramfs, or when PID cannot be attached, a record says so.
prefix=$1 pid=$2

rec() { echo "@@ L $prefix $*"; }

# Stat file $1: ST its state (field 3), TK utime+stime (fields 14 and 15).
# Read by the shell itself: on a loaded host a fork and exec per process of
# the guest costs seconds under TCG. The comm field may hold spaces, so
# counting starts after its closing parenthesis.
stat_read() {
	ST='' TK=0
	read -r l 2>/dev/null <"$1" || return 1
	# shellcheck disable=SC2086 # the fields of the line
	set -- ${l##*") "}
	ST=${1:-} TK=$((${12:-0} + ${13:-0}))
}

ticks() { stat_read "$1/stat"; echo "$TK"; }

status_field() { sed -n "s/^$2:[[:space:]]*//p" "$1/status" 2>/dev/null | tr -s ' \t' '_'; }

# One line for the task directory $1 (TID $2), $3 its ticks 2 s earlier.
task_line() {
	rec "$4 $2 comm=$(cat "$1/comm" 2>/dev/null) state=$(status_field "$1" State)" \
	    "wchan=$(cat "$1/wchan" 2>/dev/null) cpu_ticks=$3->$(ticks "$1")" \
	    "ctxt=$(status_field "$1" voluntary_ctxt_switches)/$(status_field "$1" nonvoluntary_ctxt_switches)" \
	    "syscall=[$(cat "$1/syscall" 2>/dev/null)]"
}

[ -d "/proc/$pid" ] || { rec "process $pid already gone: no thread records"; exit 0; }
tracer=$(status_field "/proc/$pid" TracerPid)
[ "$tracer" = 0 ] && tracer=''
rec "process $pid tracer=${tracer:-none} threads=$(status_field "/proc/$pid" Threads)" \
    "vmrss=$(status_field "/proc/$pid" VmRSS) uptime=$(cut -d' ' -f1 /proc/uptime) epoch=$(date +%s)"
before=''
for t in /proc/"$pid"/task/*; do before="$before ${t##*/}:$(ticks "$t")"; done
[ -n "$tracer" ] && tracer_before=$(ticks "/proc/$tracer")
sleep 2
for t in /proc/"$pid"/task/*; do
	tid=${t##*/} was='?'
	for b in $before; do [ "${b%%:*}" = "$tid" ] && was=${b#*:}; done
	task_line "$t" "$tid" "$was" thread
	sed "s/^/@@ L $prefix kstack $tid /" "$t/stack" 2>/dev/null
done
if [ -n "$tracer" ] && [ -d "/proc/$tracer" ]; then
	task_line "/proc/$tracer" "$tracer" "${tracer_before:-?}" tracer
	sed "s/^/@@ L $prefix kstack tracer /" "/proc/$tracer/stack" 2>/dev/null
fi

# The rest of the guest: a kernel thread or another process that runs or
# waits uninterruptibly (D) may be what testpmd waits for.
rec "guest loadavg=[$(cat /proc/loadavg)]"
for s in /proc/[0-9]*/stat; do
	d=${s%/stat} o=${s#/proc/}
	o=${o%/stat}
	[ "$o" = "$pid" ] || [ "$o" = "$$" ] && continue
	stat_read "$s" || continue
	case $ST in R|D) ;; *) continue ;; esac
	rec "other $o comm=$(cat "$d/comm" 2>/dev/null) state=$ST wchan=$(cat "$d/wchan" 2>/dev/null)"
	[ "$ST" = D ] && sed "s/^/@@ L $prefix kstack other $o /" "$d/stack" 2>/dev/null
done

command -v eu-stack >/dev/null 2>&1 || { rec "ustack: no eu-stack in this initramfs"; exit 0; }
if [ -n "$tracer" ] && [ -d "/proc/$tracer" ]; then
	kill -9 "$tracer" 2>/dev/null
	w=0
	while [ "$(status_field "/proc/$pid" TracerPid)" != 0 ] && [ $w -lt 50 ]; do
		usleep 100000
		w=$((w + 1))
	done
fi
rec "ustack epoch=$(date +%s)"
# Frames beyond 40 per thread say nothing more about where it waits.
# Debian strips DPDK's libraries and testpmd to their dynamic symbols: -b
# adds each frame's build-id, load address and offset, which name the
# function offline with the package's debug symbols (eu-addr2line -e, or
# debuginfod by build-id); the plugin keeps its own symbols.
timeout 60 eu-stack -m -b -n 40 -p "$pid" 2>&1 | head -n 400 | sed "s/^/@@ L $prefix ustack /"
exit 0
