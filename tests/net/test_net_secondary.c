/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net_secondary - net_spapr_model in a secondary process (doc/nic-model.md,
 * "Secondary processes"). The primary (plugin in model mode, powernv9) receives
 * frames from the traffic source on port 0, then starts this program again as
 * a secondary, passing the counters it sees. The secondary, while the primary
 * waits, finds both ports, reads exactly those counters (basic stats and the
 * shared xstats), gets no xstat that needs the model, is refused configuration
 * (-ENOTSUP), and its rx/tx bursts move nothing and log the refusal once.
 * The plugin there defers (status 0, secondary set).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "rte_bus_spapr.h"
#include "rte_pmd_spapr_model.h"
#include "net_test.h"
#include "plugin_env.h"
#include "test_util.h"

#define BURST 32
#define NB_DESC 256
#define SHARED_XSTATS 13	/* rx_gen_packets ... pe_freezes */

static const char *huge;

/*
 * Under LeakSanitizer: DPDK 22.11's vdev bus never frees the devargs of the
 * vdevs a secondary learns from the primary (drivers/bus/vdev/vdev.c,
 * insert_vdev() with init=false keeps them out of the devargs list that
 * rte_vdev_uninit() and the cleanup search). Nothing of this project.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:librte_bus_vdev.so\n";
}

/*
 * The secondary gets the vdevs from the primary, as dpdk-proc-info does. It
 * maps DPDK's memory at the primary's addresses: where DPDK's own hint
 * cannot be used (under ASan it lies in the shadow gap) the kernel puts the
 * memory among the mappings of the moment, which the secondary may hold
 * itself, and its memory init then fails now and then. A fixed base far
 * from mmap's area and ASan's keeps the addresses free in both.
 */
static int eal_init(const char *self, const char *prefix, bool secondary)
{
	char *eal[] = { (char *)self, "-l", "0", "-m", "48", "--no-pci", "--no-telemetry",
			"--file-prefix", (char *)prefix, "--huge-dir", (char *)huge,
			"--base-virtaddr=0x500000000000",
			"--iova-mode=pa", "-a", "bus=spapr,backend=model,profile=powernv9",
			secondary ? "--proc-type=secondary" : "--vdev",
			secondary ? NULL : "net_spapr_model0", "--vdev", "net_spapr_model1", NULL };

	return rte_eal_init(secondary ? 16 : 19, eal);
}

static bool log_has_once(FILE *f, const char *needle)
{
	char line[1024];
	int n = 0;

	fflush(f);
	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	return n == 1;
}

static int run_secondary(const char *self, const char *prefix, uint64_t ipackets,
			 uint64_t dma_checks)
{
	struct rte_eth_xstat_name names[64];
	struct rte_mbuf *pkts[BURST] = { NULL };
	struct rte_spapr_info info;
	struct rte_eth_stats st;
	struct rte_eth_conf conf;
	FILE *log = tmpfile();
	int n;

	T_CHECK(log != NULL && rte_openlog_stream(log) == 0);
	T_CHECK(eal_init(self, prefix, true) > 0);
	T_EQ(rte_eal_process_type(), RTE_PROC_SECONDARY);
	T_EQ(rte_spapr_status(), 0);
	rte_spapr_info_get(&info);
	T_EQ(info.secondary, 1);
	T_EQ(rte_eth_dev_count_avail(), 2);
	T_ERR(rte_eth_stats_get(0, &st), 0);
	T_EQU(st.ipackets, ipackets);
	T_EQU(net_xstat(0, "dma_checks"), dma_checks);
	n = rte_eth_xstats_get_names(0, names, RTE_DIM(names));
	/* ethdev's own (rx_good_packets ...) come first, then the PMD's. */
	T_CHECK(n > SHARED_XSTATS);
	T_EQU(net_xstat(0, "pe_freezes"), 0);
	T_EQU(net_xstat(0, "pe_state"), UINT64_MAX);	/* the model's: not here */
	T_EQU(net_xstat(0, "host_ioctls"), UINT64_MAX);
	memset(&conf, 0, sizeof(conf));
	T_ERR(rte_eth_dev_configure(0, 1, 1, &conf), -ENOTSUP);
	T_EQ(rte_eth_rx_burst(0, 0, pkts, BURST), 0);
	T_EQ(rte_eth_tx_burst(1, 0, pkts, 0), 0);
	T_CHECK(log_has_once(log, "rx/tx burst in a secondary process: not supported"));
	T_CHECK(log_has_once(log, "spapr: secondary process: DMA set-up"));
	/* The PMD's remove in a secondary: the port goes, the primary's stays. */
	T_ERR(rte_vdev_uninit("net_spapr_model0"), 0);
	T_ERR(rte_vdev_uninit("net_spapr_model1"), 0);
	T_EQ(rte_eth_dev_count_avail(), 0);
	rte_eal_cleanup();
	rte_openlog_stream(NULL);
	fclose(log);
	return t_finish();
}

/* Receive (and free) what the traffic source sends port 0. */
static uint64_t receive(unsigned int rounds)
{
	uint64_t got = 0;

	for (unsigned int r = 0; r < rounds; r++) {
		struct rte_mbuf *pkts[BURST];
		uint16_t n = rte_eth_rx_burst(0, 0, pkts, BURST);

		rte_pktmbuf_free_bulk(pkts, n);
		got += n;
	}
	return got;
}

static void start_secondary(const char *self, const char *prefix)
{
	struct rte_eth_stats st;
	char ipk[32], chk[32];
	int status = 0;
	pid_t pid;

	T_ERR(rte_eth_stats_get(0, &st), 0);
	snprintf(ipk, sizeof(ipk), "%" PRIu64, st.ipackets);
	snprintf(chk, sizeof(chk), "%" PRIu64, net_xstat(0, "dma_checks"));
	pid = fork();
	if (pid == 0) {
		execl(self, self, "secondary", prefix, ipk, chk, (char *)NULL);
		_exit(127);
	}
	T_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void remove_hugepage_files(const char *prefix)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -f '%s/%smap_'*", huge, prefix);
	T_EQ(system(cmd), 0);
}

int main(int argc, char **argv)
{
	struct rte_mempool *pool;
	char prefix[64];

	huge = plugin_hugepages(64);
	if (argc == 5 && strcmp(argv[1], "secondary") == 0)
		return run_secondary(argv[0], argv[2], strtoull(argv[3], NULL, 0),
				     strtoull(argv[4], NULL, 0));
	snprintf(prefix, sizeof(prefix), "spapr-net-sec-%d", (int)getpid());
	/* Hugepage files stay (no --huge-unlink): the secondary maps them. */
	T_CHECK(eal_init(argv[0], prefix, false) > 0);
	T_EQ(rte_spapr_status(), 0);
	T_EQ(rte_eth_dev_count_avail(), 2);
	T_EQ(rte_pmd_spapr_model_group(0), 0);
	pool = rte_pktmbuf_pool_create("pool", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_CHECK(pool != NULL);
	if (pool != NULL && rte_eth_dev_count_avail() == 2) {
		T_ERR(net_port_setup(0, pool, NB_DESC), 0);
		T_ERR(net_port_setup(1, pool, NB_DESC), 0);
		T_CHECK(receive(100) > 0);
		start_secondary(argv[0], prefix);
		T_CHECK(receive(10) > 0);	/* the primary carries on */
		rte_eth_dev_stop(0);
		rte_eth_dev_stop(1);
		rte_eth_dev_close(0);
		rte_eth_dev_close(1);
	}
	rte_eal_cleanup();
	remove_hugepage_files(prefix);
	plugin_rm_runtime(prefix);
	return t_finish();
}
