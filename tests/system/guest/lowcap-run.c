/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr-lowcap-run KIB -- CMD [ARGS...]: run CMD as the testbed guest's
 * root but without CAP_IPC_LOCK and with RLIMIT_MEMLOCK (soft and hard) at
 * KIB KiB, the way an ordinary user runs it. account_locked_vm() skips the
 * limit for CAP_IPC_LOCK (§3.5), so only without it does the kernel enforce
 * the limit. The capability leaves the bounding set too, so that exec (as
 * uid 0, where the kernel grants the bounding set) does not give it back.
 * Static, for the busybox initramfs (which has no way to drop capabilities).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int lowcap_fail(const char *step, int err)
{
	fprintf(stderr, "spapr-lowcap-run: %s failed: %s (%d)\n", step, strerror(err), err);
	return 127;
}

static int lowcap_drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	const unsigned int word = CAP_IPC_LOCK / 32, bit = 1u << (CAP_IPC_LOCK % 32);

	if (prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0) != 0)
		return lowcap_fail("prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK)", errno);
	if (syscall(SYS_capget, &h, d) != 0)
		return lowcap_fail("capget", errno);
	d[word].effective &= ~bit;
	d[word].permitted &= ~bit;
	d[word].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d) != 0)
		return lowcap_fail("capset (CAP_IPC_LOCK out of effective/permitted/inheritable)", errno);
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long long kib;
	struct rlimit rl;
	int rc;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: spapr-lowcap-run KIB -- CMD [ARGS...]\n"
				"  runs CMD without CAP_IPC_LOCK, RLIMIT_MEMLOCK = KIB KiB\n");
		return 2;
	}
	errno = 0;
	kib = strtoull(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || kib > RLIM_INFINITY / 1024) {
		fprintf(stderr, "spapr-lowcap-run: KIB '%s' is not a number of KiB\n", argv[1]);
		return 2;
	}
	rc = lowcap_drop_ipc_lock();
	if (rc)
		return rc;
	rl.rlim_cur = rl.rlim_max = (rlim_t)kib * 1024;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return lowcap_fail("setrlimit(RLIMIT_MEMLOCK)", errno);
	execvp(argv[3], argv + 3);
	fprintf(stderr, "spapr-lowcap-run: cannot run %s: %s (%d)\n", argv[3], strerror(errno), errno);
	return 127;
}
