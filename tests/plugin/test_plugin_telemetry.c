/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_plugin_telemetry - /spapr/info and /spapr/stats through DPDK's real
 * telemetry socket (pseries-kvm model: the DDW must be reported at 1<<59).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>

#include "plugin_env.h"
#include "rte_bus_spapr.h"
#include "test_util.h"

static int sock = -1;

static int query(const char *cmd, char *buf, size_t len)
{
	ssize_t n;

	if (send(sock, cmd, strlen(cmd), 0) < 0)
		return -errno;
	n = recv(sock, buf, len - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void test_info(void)
{
	static char buf[16384];

	T_EQ(query("/spapr/info", buf, sizeof(buf)), 0);
	printf("%s\n", buf);
	T_CHECK(strstr(buf, "\"profile\":\"pseries-kvm\"") != NULL);
	T_CHECK(strstr(buf, "\"status\":0") != NULL);
	T_CHECK(strstr(buf, "\"containers\":1") != NULL);
	T_CHECK(strstr(buf, "\"window_start\":576460752303423488") != NULL);	/* 1<<59 */
	T_CHECK(strstr(buf, "\"plan\":\"container 0 (group 0): direct") != NULL);
	/* pseries: a container per group, none is ever parked */
	T_CHECK(strstr(buf, "\"groups\":1,\"groups_parked\":0,") != NULL);
	T_CHECK(strstr(buf, "\"groups_parked\":0,\"parked\":[],") != NULL);
}

static void test_stats(void)
{
	static char buf[16384];

	T_EQ(query("/spapr/stats", buf, sizeof(buf)), 0);
	printf("%s\n", buf);
	/* pseries keeps the default 32-bit window next to the DDW: 2 windows. */
	T_CHECK(strstr(buf, "\"windows\":2") != NULL);
	T_CHECK(strstr(buf, "\"TCE_CREATE\":1") != NULL);
	T_CHECK(strstr(buf, "\"REGISTER_MEMORY\":1") != NULL);
	T_CHECK(strstr(buf, "\"bytes_mapped\":33554432") != NULL);	/* -m 32 */
	T_CHECK(strstr(buf, "\"mem_event_errors\":0") != NULL);
}

int main(int argc, char **argv)
{
	char prefix[64], path[256], hello[4096];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *huge = plugin_hugepages(32);
	int rc;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "spapr-tel-%d", (int)getpid());
	{
		char *eal[] = { argv[0], "-l", "0", "-m", "32", "--no-pci", "--file-prefix", prefix,
				"--huge-dir", (char *)huge, "--huge-unlink",
				"-a", "bus=spapr,backend=model,profile=pseries-kvm", NULL };

		rc = rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal);
	}
	T_EQ(rc, 12);
	if (rc < 0)
		return t_finish();
	T_EQ(rte_spapr_status(), 0);
	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", rte_eal_get_runtime_dir());
	T_CHECK(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strnlen(path, sizeof(sun.sun_path) - 1));
	sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	T_CHECK(sock >= 0);
	T_EQ(connect(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	T_CHECK(recv(sock, hello, sizeof(hello), 0) > 0);	/* the server's greeting */
	T_RUN(test_info);
	T_RUN(test_stats);
	close(sock);
	rte_eal_cleanup();
	plugin_rm_runtime(prefix);
	return t_finish();
}
