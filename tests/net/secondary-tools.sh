#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# secondary-tools.sh PLUGIN PMD PROFILE - stock Debian DPDK tools attach as
# secondary processes to a stock dpdk-testpmd primary that forwards through
# net_spapr_model with the plugin in model mode:
#   dpdk-proc-info -- --stats     packets counted on both ports
#   dpdk-proc-info -- --xstats    the device's DMA checks (shared counters)
#   dpdk-pdump                    a pcap file with packets of port 0
#   dpdk-dumpcap                  a pcap file with packets of port 1
# In each secondary the plugin says once that it defers to the primary and
# reports no error. Every file the run made (hugepage files, runtime
# directory, captures) is gone at the end.
# Exit 77 (skip) without root, hugepages or the tools.
set -u
plugin=$1
pmd=$2
profile=$3
huge=/dev/hugepages-spapr-test

for t in dpdk-testpmd dpdk-proc-info dpdk-pdump dpdk-dumpcap; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (apt-get install dpdk)"; exit 77; }
done
. "$(dirname "$0")/../lib/hugepages.sh"
test_hugepages_or_skip "$huge" 64

# A build tree under a world-writable path (/tmp) cannot be loaded with -d.
. "$(dirname "$0")/../../apps/lib/dpdk-plugin-path.sh"
dpdk_plugin_paths "$plugin" "$pmd" || exit 1
plugin=${DPDK_PLUGIN_PATHS[0]} pmd=${DPDK_PLUGIN_PATHS[1]}

prefix=spapr-sec-$$
work=$(mktemp -d /tmp/spapr-secondary.XXXXXX)
fifo=$work/in
pmd_pid=
cleanup() {
	[ -n "$pmd_pid" ] && kill "$pmd_pid" 2>/dev/null && wait "$pmd_pid" 2>/dev/null
	[ -n "${SPAPR_TEST_KEEP:-}" ] && cp -r "$work" "$SPAPR_TEST_KEEP"
	rm -rf "$work" "/var/run/dpdk/$prefix"
	rm -f "$huge/${prefix}map_"*
	dpdk_plugin_cleanup
}
trap cleanup EXIT
fail=0
die() { echo "FAIL: $*"; fail=1; }

# ---- the primary: hugepage files stay (no --huge-unlink): secondaries map them ----
mkfifo "$fifo"
timeout 120 dpdk-testpmd -l 0-1 -m 64 --no-pci --no-telemetry --file-prefix "$prefix" \
	--huge-dir "$huge" -d "$plugin" -d "$pmd" -a "bus=spapr,backend=model,profile=$profile" \
	--vdev net_spapr_model0 --vdev net_spapr_model1 \
	-- -i --total-num-mbufs=4096 --no-flush-rx <"$fifo" >"$work/primary" 2>&1 &
pmd_pid=$!
exec 3>"$fifo"
for _ in $(seq 1 300); do
	grep -q "testpmd> " "$work/primary" && break
	kill -0 $pmd_pid 2>/dev/null || break
	sleep 0.1
done
grep -q "testpmd> " "$work/primary" || { cat "$work/primary"; echo "FAIL: testpmd did not start"; exit 1; }
echo start >&3
sleep 1

# ---- the secondaries (EAL options of every one: the primary's prefix) ----
eal=(--file-prefix "$prefix" --huge-dir "$huge" --no-pci -d "$plugin" -d "$pmd")
# A mempool names its driver by index into a per-process table filled in
# load order. Debian 12's dpdk-testpmd links librte_mempool_dpaa, the tools
# do not: without it first, a capture pool made by pdump or dumpcap is
# driven by the wrong driver in testpmd and every copy is dropped (so with
# net_null and no plugin as well). Preloading testpmd's mempool drivers
# gives the tools the same table.
preload=$(ldd "$(command -v dpdk-testpmd)" | awk '$1 ~ /^librte_mempool_/ { printf "%s ", $3 }')
# The plugin's lines in a secondary: the one INFO line that it defers, where
# the tool lets INFO through (pdump; proc-info and dumpcap log from NOTICE up).
defer_line="spapr: secondary process: DMA set-up, windows and IOVAs are the primary's; nothing to set up here"
plugin_lines_ok() {
	local what=$1 log=$2 want=$3 lines
	lines=$(grep -E "^spapr|Bus \(spapr" "$log" | grep -vxF "$defer_line")
	[ -z "$lines" ] || die "$what: plugin or bus lines besides the deferral: $lines"
	[ "$(grep -cxF "$defer_line" "$log")" = "$want" ] || die "$what: not $want deferral line(s)"
}

timeout 30 dpdk-proc-info "${eal[@]}" -- --stats >"$work/stats" 2>&1 || die "proc-info --stats exit status $?"
grep -E "^spapr|statistics for port|^  (RX|TX)-packets" "$work/stats"
plugin_lines_ok "proc-info --stats" "$work/stats" 0
[ "$(grep -c "NIC statistics for port" "$work/stats")" = 2 ] || die "proc-info --stats: not 2 ports"
rx=$(awk '/^  RX-packets:/ { print $2; exit }' "$work/stats")
tx=$(awk '/^  TX-packets:/ { print $2; exit }' "$work/stats")
[ "${rx:-0}" -gt 0 ] 2>/dev/null || die "proc-info --stats: RX-packets ${rx:-none} on port 0"
[ "${tx:-0}" -gt 0 ] 2>/dev/null || die "proc-info --stats: TX-packets ${tx:-none} on port 0"

timeout 30 dpdk-proc-info "${eal[@]}" -- --xstats >"$work/xstats" 2>&1 || die "proc-info --xstats exit status $?"
grep -E "^(spapr|rx_good_packets|dma_checks|dma_faults|pe_group|pe_state)" "$work/xstats" | sort -u
plugin_lines_ok "proc-info --xstats" "$work/xstats" 0
checks=$(awk '$1 == "dma_checks:" { print $2; exit }' "$work/xstats")
[ "${checks:-0}" -gt 0 ] 2>/dev/null || die "proc-info --xstats: dma_checks ${checks:-none}"
grep -q "^dma_faults: 0$" "$work/xstats" || die "proc-info --xstats: dma_faults not 0"
# The model lives in the primary: its counters are not offered here.
grep -q "^pe_state:" "$work/xstats" && die "proc-info --xstats: pe_state from a secondary"

# The capture tools run until interrupted; their packets come from rx/tx
# callbacks that the primary's forwarding cores run. DPDK before 25.11 removes
# those callbacks when a tool detaches without waiting for a core that is
# inside one (lib/pdump/rte_pdump.c; fixed by "pdump: fix races in callbacks",
# v25.11), and the tool then frees the ring and pool the core copies into:
# the primary crashes now and then in rte_pktmbuf_* on its forwarding core,
# with or without the plugin. So forwarding stops before a tool detaches.
prompts() { grep -o "testpmd> " "$work/primary" | wc -l; }
forwarding_stop() {
	local before
	before=$(prompts)
	echo stop >&3
	for _ in $(seq 1 100); do
		[ "$(prompts)" -gt "$before" ] && return 0
		sleep 0.1
	done
	die "testpmd: no prompt after stop"
}
# capture_quiesced NAME FILE COMMAND...: run a capture tool until FILE
# holds packets, stop forwarding, interrupt the tool, start forwarding again.
# A tool's start-up as a secondary takes seconds on a loaded machine, and an
# interrupt before its capture runs ends it with status 1 and no packet: so
# the wait is for the file to grow (net_pcap and dumpcap write each burst as
# it comes), not for a fixed time.
capture_quiesced() {
	local name=$1 file=$2 pid st size
	shift 2
	"$@" >"$work/$name" 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		[ "$size" -gt 4096 ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	[ "$size" -gt 4096 ] || echo "$name: $size bytes in $file after 60 s"
	forwarding_stop
	# SIGINT to the tool itself: a timeout(1) in between ignores it in a
	# background job (coreutils 9.10, Debian unstable).
	kill -INT $pid 2>/dev/null
	for _ in $(seq 1 300); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $pid 2>/dev/null && { die "$name still running 30 s after SIGINT"; kill -KILL $pid; }
	wait $pid
	st=$?
	echo start >&3
	[ $st = 0 ] || { die "$name exit status $st"; tail -n 15 "$work/$name"; }
}

capture_quiesced pdump "$work/port0.pcap" env LD_PRELOAD="$preload" dpdk-pdump -l 0 "${eal[@]}" -- \
	--pdump "port=0,queue=*,rx-dev=$work/port0.pcap"
plugin_lines_ok "pdump" "$work/pdump" 1
# pcap: 24-byte file header, then a 16-byte header per record.
pcap_records() {
	python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(); o=24; n=0
while o+16<=len(d): n+=1; o+=16+struct.unpack_from("<I",d,o+8)[0]
print(n)' "$1" 2>/dev/null || echo 0
}
n=$(pcap_records "$work/port0.pcap")
echo "pdump: $n packets in $(stat -c %s "$work/port0.pcap" 2>/dev/null || echo 0) bytes"
[ "$n" -gt 0 ] || die "pdump: no packet captured"

# dumpcap takes no -d: the drivers come in with LD_PRELOAD. Its own packet
# limit (-c) would end it while the primary forwards.
capture_quiesced dumpcap "$work/port1.pcap" env LD_PRELOAD="$preload$plugin $pmd" dpdk-dumpcap \
	--file-prefix="$prefix" -i 1 -P -w "$work/port1.pcap"
plugin_lines_ok "dumpcap" "$work/dumpcap" 0
grep -E "Capturing" "$work/dumpcap"
n=$(pcap_records "$work/port1.pcap")
echo "dumpcap: $n packets"
[ "$n" -gt 0 ] || die "dumpcap: no packet captured"

# ---- the primary carries on, then exits cleanly ----
# A primary that died already must be reported, not kill this script with
# SIGPIPE on the write to its input.
trap '' PIPE
{ echo stop; echo quit; } >&3 2>/dev/null || die "testpmd no longer reads its input"
exec 3>&-
wait $pmd_pid
rc=$?
pmd_pid=
[ $rc = 0 ] || { die "testpmd exit status $rc"; tail -n 30 "$work/primary"; }
grep -q "^Bye" "$work/primary" || die "testpmd did not exit cleanly"
grep -E "spapr: .*(failed|error|cannot)" "$work/primary" && die "plugin errors in the primary"
cleanup
trap - EXIT
left=$(ls -d "$huge/${prefix}"* "/var/run/dpdk/$prefix" 2>/dev/null)
[ -z "$left" ] || die "left behind: $left"
exit $fail
