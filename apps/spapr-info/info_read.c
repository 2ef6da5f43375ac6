/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * info_read.c - the real machine, read through a "sysfs root": every /proc
 * and /sys path is taken relative to the sysroot ("/" normally; a directory
 * holding a fake tree in tests). libhugetlbfs, libnuma and getrlimit() are
 * asked too when the sysroot is "/", since they read the running system.
 * Nothing here needs root: what cannot be read is noted, never guessed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <hugetlbfs.h>
#include <numa.h>

#include "info.h"
#include "spapr_util.h"
#include "spapr_vfio.h"

void info_note(struct info_machine *m, const char *fmt, ...)
{
	va_list ap;

	if (m->nnotes >= INFO_MAX_NOTE)
		return;
	va_start(ap, fmt);
	vsnprintf(m->notes[m->nnotes++], INFO_TEXT, fmt, ap);
	va_end(ap);
}

static const char *sysroot_path(const char *root, const char *rel, char *buf, size_t len)
{
	if (!strcmp(root, "/"))
		snprintf(buf, len, "/%s", rel);
	else
		snprintf(buf, len, "%s/%s", root, rel);
	return buf;
}

/*
 * Files under the sysroot are not trusted (a test tree, a copy of /sys):
 * only regular files are read. A FIFO would block (O_NONBLOCK keeps open()
 * itself from waiting), a device such as /dev/zero never ends (errno
 * EINVAL for both). Lines are read with a budget, so that a huge file ends
 * too.
 */
#define INFO_MAX_LINES 65536u

struct text_file {
	FILE *f;
	unsigned int lines_left;
};

static int text_open(struct text_file *t, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	t->f = NULL;
	t->lines_left = INFO_MAX_LINES;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -EINVAL;
	}
	t->f = fdopen(fd, "r");
	if (!t->f) {
		int err = -errno;

		close(fd);
		return err;
	}
	return 0;
}

static bool text_gets(struct text_file *t, char *line, size_t len)
{
	if (!t->f || !t->lines_left)
		return false;
	t->lines_left--;
	return fgets(line, (int)len, t->f) != NULL;
}

static void text_close(struct text_file *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
}

/* What errno says about a sysroot file that could not be read. */
static const char *text_error(int err)
{
	return err == EINVAL ? "not a regular file" : strerror(err);
}

/* First line of a file, newline stripped. -errno on failure. */
static int read_line(const char *path, char *out, size_t len)
{
	struct text_file t;
	int rc = text_open(&t, path);

	if (rc)
		return rc;
	if (!text_gets(&t, out, len))
		out[0] = '\0';
	text_close(&t);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* A decimal number in [0, max] at the start of @s, or -1. */
static long bounded_number(const char *s, long max)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || v > max ? -1 : v;
}

static long read_long(const char *path, long dflt)
{
	char line[64];

	if (read_line(path, line, sizeof(line)) || !line[0])
		return dflt;
	return strtol(line, NULL, 0);
}

/* Basename of the target of a symlink, "" if none. */
static void link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *b;

	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	b = strrchr(target, '/');
	info_copy(out, len, b ? b + 1 : target);
}

/* "key<spaces/tabs>: value" of /proc/cpuinfo. */
static bool cpuinfo_value(const char *line, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);
	const char *v;

	if (strncmp(line, key, k))
		return false;
	v = line + k;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v != ':')	/* "cpu family" is not "cpu" */
		return false;
	v++;
	while (*v == ' ' || *v == '\t')
		v++;
	snprintf(out, len, "%s", v);
	out[strcspn(out, "\n")] = '\0';
	return true;
}

static void read_hypervisor(const char *root, const char *machine, struct info_machine *m)
{
	char p[PATH_MAX], compat[128] = "";

	if (strcmp(m->platform, "pSeries")) {
		snprintf(m->hypervisor, sizeof(m->hypervisor), "%s",
			 strcmp(m->platform, "PowerNV") ? "" : "bare metal (OPAL)");
		return;
	}
	/* The device tree names the hypervisor; QEMU also says so in "machine". */
	read_line(sysroot_path(root, "proc/device-tree/hypervisor/compatible", p, sizeof(p)),
		  compat, sizeof(compat));
	if (strstr(compat, "kvm") || strstr(machine, "qemu"))
		snprintf(m->hypervisor, sizeof(m->hypervisor), "KVM");
	else
		snprintf(m->hypervisor, sizeof(m->hypervisor), "PowerVM");
}

static void read_cpuinfo(const char *root, struct info_machine *m)
{
	char p[PATH_MAX], line[512], v[128], machine[128] = "";
	struct text_file f;

	if (text_open(&f, sysroot_path(root, "proc/cpuinfo", p, sizeof(p)))) {
		info_note(m, "%s: %s", p, text_error(errno));
		return;
	}
	while (text_gets(&f, line, sizeof(line))) {
		if (cpuinfo_value(line, "platform", v, sizeof(v)))
			info_copy(m->platform, sizeof(m->platform), v);
		else if (cpuinfo_value(line, "MMU", v, sizeof(v)))
			info_copy(m->mmu, sizeof(m->mmu), v);
		else if (cpuinfo_value(line, "machine", v, sizeof(v)))
			info_copy(machine, sizeof(machine), v);
		else if (!m->cpu[0] && (cpuinfo_value(line, "cpu", v, sizeof(v)) ||
					cpuinfo_value(line, "model name", v, sizeof(v))))
			info_copy(m->cpu, sizeof(m->cpu), v);
	}
	text_close(&f);
	m->power = m->platform[0] != '\0';
	read_hypervisor(root, machine, m);
}

static void read_platform(const char *root, struct info_machine *m)
{
	char p[PATH_MAX], line[256];
	struct utsname u;

	read_cpuinfo(root, m);
	if (!strcmp(root, "/") && !uname(&u))
		info_copy(m->arch, sizeof(m->arch), u.machine);
	else
		info_copy(m->arch, sizeof(m->arch), m->power ? "ppc64 (from cpuinfo)" : "unknown");
	if (!read_line(sysroot_path(root, "proc/sys/kernel/osrelease", p, sizeof(p)), line,
		       sizeof(line)))
		info_copy(m->kernel, sizeof(m->kernel), line);
	m->page_shift = 0;
	if (!strcmp(root, "/")) {
		m->page_shift = (unsigned int)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	} else {
		/* Fake trees give the kernel page size as proc/self/smaps does
		 * (4K..1G, a power of two). */
		struct text_file f;
		unsigned long kb = 0;

		text_open(&f, sysroot_path(root, "proc/self/smaps", p, sizeof(p)));
		while (text_gets(&f, line, sizeof(line)) &&
		       sscanf(line, "KernelPageSize: %lu kB", &kb) != 1)
			;
		text_close(&f);
		if (kb >= 4 && kb <= (1ul << 20) && spapr_is_pow2(kb))
			m->page_shift = (unsigned int)__builtin_ctzl(kb) + 10;
	}
	if (!m->page_shift) {
		m->page_shift = 16;
		info_note(m, "system page size not readable: assuming 64K (the POWER default)");
	}
	m->vfio_spapr_loaded = access(sysroot_path(root, "sys/module/vfio_iommu_spapr_tce", p,
						   sizeof(p)), F_OK) == 0;
}

/* ---- NUMA ---------------------------------------------------------------- */

/* CPUs of a cpulist ("0-7,16,18-19"); stops at anything malformed. CPU
 * numbers are below 2^20, so the count cannot wrap. */
static unsigned int cpulist_count(const char *s)
{
	const long max_cpu = (1l << 20) - 1;
	unsigned int n = 0;

	while (*s) {
		long a = bounded_number(s, max_cpu), b = a;
		const char *end = s + strspn(s, "0123456789");

		if (a < 0)
			break;
		if (*end == '-') {
			b = bounded_number(end + 1, max_cpu);
			end += 1 + strspn(end + 1, "0123456789");
		}
		if (b < a)
			break;
		n += (unsigned int)(b - a + 1);
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static int int_cmp(int a, int b)
{
	return (a > b) - (a < b);
}

static int node_cmp(const void *a, const void *b)
{
	return int_cmp(((const struct info_node *)a)->id, ((const struct info_node *)b)->id);
}

static void read_numa(const char *root, struct info_machine *m)
{
	char p[PATH_MAX], f[PATH_MAX + 300];
	DIR *d = opendir(sysroot_path(root, "sys/devices/system/node", p, sizeof(p)));
	struct dirent *e;

	while (d && (e = readdir(d)) && m->nnodes < INFO_MAX_NODE) {
		struct info_node *n = &m->nodes[m->nnodes];

		long id = strncmp(e->d_name, "node", 4) ? -1 :
			  bounded_number(e->d_name + 4, INT_MAX);

		if (id < 0)
			continue;
		n->id = (int)id;
		snprintf(f, sizeof(f), "%s/%s/cpulist", p, e->d_name);
		read_line(f, n->cpulist, sizeof(n->cpulist));
		n->ncpus = cpulist_count(n->cpulist);
		m->nnodes++;
	}
	if (d)
		closedir(d);
	else
		info_note(m, "%s: %s (NUMA nodes unknown)", p, text_error(errno));
	qsort(m->nodes, m->nnodes, sizeof(m->nodes[0]), node_cmp);
	/* libnuma reads the running kernel: use it only for the real root. */
	if (strcmp(root, "/"))
		return;
	m->numa_lib = numa_available() >= 0;
	if (!m->numa_lib) {
		info_note(m, "libnuma: numa_available() says NUMA is not available");
		return;
	}
	if ((unsigned int)numa_max_node() + 1 != m->nnodes)
		info_note(m, "libnuma sees %d node(s), sysfs %u", numa_max_node() + 1, m->nnodes);
	for (unsigned int i = 0; i < m->nnodes; i++) {
		unsigned int c = 0;

		for (int cpu = 0; cpu < numa_num_configured_cpus(); cpu++)
			c += numa_node_of_cpu(cpu) == m->nodes[i].id;
		m->nodes[i].ncpus = c;
	}
}

/* ---- hugepages ----------------------------------------------------------- */

static void add_pool(struct info_machine *m, uint64_t page, int node, long nr, long fr)
{
	if (m->npools >= INFO_MAX_POOL)
		return;
	m->pools[m->npools++] = (struct info_pool){ page, node, nr, fr };
}

/* hugepages-<kB>kB directories under @dir, one pool each for @node. */
static void read_pools_in(struct info_machine *m, const char *dir, int node)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char f[PATH_MAX + 300];

	while (d && (e = readdir(d))) {
		unsigned long kb;
		long nr, fr;

		/* 4K..1T pages; counts that fit the address space. */
		if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1 || kb < 4 ||
		    kb > (1ul << 30) || !spapr_is_pow2(kb))
			continue;
		snprintf(f, sizeof(f), "%s/%s/nr_hugepages", dir, e->d_name);
		nr = read_long(f, -1);
		snprintf(f, sizeof(f), "%s/%s/free_hugepages", dir, e->d_name);
		fr = read_long(f, -1);
		if (nr >= 0 && (uint64_t)nr <= INFO_MAX_BYTES / (kb * 1024) &&
		    fr <= nr)
			add_pool(m, (uint64_t)kb * 1024, node, nr, fr);
	}
	if (d)
		closedir(d);
}

static void read_hugepages(const char *root, struct info_machine *m)
{
	char p[PATH_MAX], dir[PATH_MAX + 64];

	read_pools_in(m, sysroot_path(root, "sys/kernel/mm/hugepages", p, sizeof(p)), -1);
	if (!m->npools)
		info_note(m, "%s: no hugepage sizes (kernel without hugetlbfs?)", p);
	for (unsigned int i = 0; i < m->nnodes; i++) {
		snprintf(dir, sizeof(dir), "%s/node%d/hugepages",
			 sysroot_path(root, "sys/devices/system/node", p, sizeof(p)), m->nodes[i].id);
		read_pools_in(m, dir, m->nodes[i].id);
	}
	if (strcmp(root, "/"))
		return;
	/* libhugetlbfs: the sizes the library can use and where hugetlbfs is. */
	long sizes[16];
	int n = gethugepagesizes(sizes, 16);
	const char *mnt;

	for (int i = 0; i < n; i++) {
		mnt = hugetlbfs_find_path_for_size(sizes[i]);
		if (mnt && !m->hugetlbfs_mount[0])
			info_copy(m->hugetlbfs_mount, sizeof(m->hugetlbfs_mount), mnt);
	}
	if (n < 0)
		info_note(m, "libhugetlbfs: gethugepagesizes() failed");
}

/* ---- PCI and IOMMU groups ------------------------------------------------ */

static void read_dev(const char *dir, const char *bdf, struct info_dev *d)
{
	char f[PATH_MAX + 300], g[32];

	info_copy(d->bdf, sizeof(d->bdf), bdf);
	snprintf(f, sizeof(f), "%s/%s/class", dir, bdf);
	d->class_code = (unsigned int)read_long(f, 0);
	snprintf(f, sizeof(f), "%s/%s/vendor", dir, bdf);
	d->vendor = (unsigned int)read_long(f, 0);
	snprintf(f, sizeof(f), "%s/%s/device", dir, bdf);
	d->device = (unsigned int)read_long(f, 0);
	snprintf(f, sizeof(f), "%s/%s/numa_node", dir, bdf);
	d->node = (int)read_long(f, -1);
	snprintf(f, sizeof(f), "%s/%s/driver", dir, bdf);
	link_base(f, d->driver, sizeof(d->driver));
	snprintf(f, sizeof(f), "%s/%s/iommu_group", dir, bdf);
	link_base(f, g, sizeof(g));
	d->group = (int)bounded_number(g, INT_MAX);
}

static int dev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct info_dev *)a)->bdf, ((const struct info_dev *)b)->bdf);
}

static struct info_group *group_of(struct info_machine *m, int num)
{
	for (unsigned int i = 0; i < m->ngroups; i++)
		if (m->groups[i].num == num)
			return &m->groups[i];
	if (m->ngroups >= INFO_MAX_GROUP)
		return NULL;
	m->groups[m->ngroups] = (struct info_group){ .num = num, .viable = true };
	return &m->groups[m->ngroups++];
}

/*
 * A group is viable for VFIO when every device in it is bound to a VFIO
 * driver, to pci-stub, or to nothing (drivers/vfio/group.c: the group is
 * viable only if all its devices are owned by vfio or driver-less).
 */
static bool driver_ok_for_vfio(const char *drv)
{
	return !drv[0] || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub");
}

static int group_cmp(const void *a, const void *b)
{
	return int_cmp(((const struct info_group *)a)->num, ((const struct info_group *)b)->num);
}

/* Groups from the devices (the kernel's iommu_groups/N/devices agree). */
void info_groups_from_devs(struct info_machine *m)
{
	for (unsigned int i = 0; i < m->ndev; i++) {
		struct info_dev *d = &m->devs[i];
		struct info_group *g = d->group >= 0 ? group_of(m, d->group) : NULL;

		if (!g)
			continue;
		g->ndev++;
		g->viable &= driver_ok_for_vfio(d->driver);
		g->has_vfio |= !strcmp(d->driver, "vfio-pci");
	}
	qsort(m->groups, m->ngroups, sizeof(m->groups[0]), group_cmp);
}

static void read_pci(const char *root, struct info_machine *m)
{
	char p[PATH_MAX];
	DIR *d = opendir(sysroot_path(root, "sys/bus/pci/devices", p, sizeof(p)));
	struct dirent *e;

	if (!d) {
		info_note(m, "%s: %s (no PCI devices listed)", p, text_error(errno));
		return;
	}
	while ((e = readdir(d)) && m->ndev < INFO_MAX_DEV)
		if (e->d_name[0] != '.')
			read_dev(p, e->d_name, &m->devs[m->ndev++]);
	closedir(d);
	qsort(m->devs, m->ndev, sizeof(m->devs[0]), dev_cmp);
	info_groups_from_devs(m);
}

/* ---- process limits ------------------------------------------------------ */

static void read_limits(const char *root, struct info_machine *m)
{
	char p[PATH_MAX], line[256];
	struct text_file f;

	m->root = strcmp(root, "/") ? false : geteuid() == 0;
	if (!strcmp(root, "/")) {
		struct rlimit rl;

		if (!getrlimit(RLIMIT_MEMLOCK, &rl)) {
			m->memlock = rl.rlim_cur == RLIM_INFINITY ? SPAPR_DMA_UNLIMITED : rl.rlim_cur;
			m->memlock_known = true;
		}
	} else if (!text_open(&f, sysroot_path(root, "proc/self/limits", p, sizeof(p)))) {
		char soft[32];

		while (text_gets(&f, line, sizeof(line)))
			if (sscanf(line, "Max locked memory %31s", soft) == 1) {
				m->memlock = !strcmp(soft, "unlimited") ? SPAPR_DMA_UNLIMITED
									 : strtoull(soft, NULL, 10);
				m->memlock_known = true;
			}
		text_close(&f);
	}
	if (!m->memlock_known)
		info_note(m, "RLIMIT_MEMLOCK not readable");
	text_open(&f, sysroot_path(root, "proc/self/status", p, sizeof(p)));
	while (text_gets(&f, line, sizeof(line))) {
		unsigned long long cap;

		if (sscanf(line, "CapEff: %llx", &cap) == 1) {
			m->cap_ipc_lock = (cap >> 14) & 1;	/* CAP_IPC_LOCK = 14 */
			m->cap_known = true;
		}
	}
	text_close(&f);
	if (!m->cap_known)
		info_note(m, "%s: CapEff not readable (CAP_IPC_LOCK unknown)", p);
}

/* ---- GET_INFO ------------------------------------------------------------- */

static int probe_fail(struct info_group *g, const char *step, int rc)
{
	info_copy(g->probe_step, sizeof(g->probe_step), step);
	g->probe_err = rc;
	return rc;
}

/* Attach @g to a fresh container (v2, then v1 like QEMU: trap §10.3) and
 * read GET_INFO. Undoes everything. */
static int probe_group(struct spapr_backend *be, struct info_group *g)
{
	const struct spapr_backend_ops *op = be->ops;
	int c, h, rc;
	uint32_t flags = 0;
	char step[32];

	g->probed = true;
	snprintf(step, sizeof(step), "open group %d", g->num);
	if ((c = op->container_open(be)) < 0)
		return probe_fail(g, "open container", c);
	if ((h = op->group_open(be, g->num)) < 0) {
		op->close(be, c);
		return probe_fail(g, step, h);
	}
	rc = op->group_get_status(be, h, &flags);
	if (!rc && !(flags & VFIO_GROUP_FLAGS_VIABLE)) {
		g->viable = false;
		rc = probe_fail(g, "GROUP_GET_STATUS (not viable)", -EPERM);
	} else if (rc) {
		probe_fail(g, "GROUP_GET_STATUS", rc);
	}
	if (!rc && (rc = op->group_set_container(be, h, c)))
		probe_fail(g, "GROUP_SET_CONTAINER", rc);
	if (!rc) {
		g->iommu_type = VFIO_SPAPR_TCE_v2_IOMMU;
		rc = op->set_iommu(be, c, VFIO_SPAPR_TCE_v2_IOMMU);
		if (rc) {
			g->iommu_type = VFIO_SPAPR_TCE_IOMMU;
			if (op->set_iommu(be, c, VFIO_SPAPR_TCE_IOMMU) == 0)
				rc = 0;	/* v1 only: noted by the doctor */
			else
				probe_fail(g, "SET_IOMMU", rc);
		}
	}
	if (!rc) {
		g->info.argsz = sizeof(g->info);
		if ((rc = op->get_info(be, c, &g->info)))
			probe_fail(g, "GET_INFO", rc);
	}
	if (!(rc == 0 || g->probe_step[0]))
		probe_fail(g, "probe", rc);
	op->group_unset_container(be, h);
	op->close(be, h);
	op->close(be, c);
	return rc;
}

void info_probe_groups(struct spapr_backend *be, struct info_machine *m)
{
	m->kernel_v2_ok = true;
	for (unsigned int i = 0; i < m->ngroups; i++) {
		struct info_group *g = &m->groups[i];

		if (!g->has_vfio)
			continue;
		if (probe_group(be, g) == 0 && g->iommu_type == VFIO_SPAPR_TCE_IOMMU)
			m->kernel_v2_ok = false;
	}
}

int info_read_machine(const char *root, struct info_machine *m)
{
	char dev[PATH_MAX];
	struct spapr_backend *be;

	snprintf(m->source, sizeof(m->source), "machine (sysroot %s)", root);
	read_platform(root, m);
	read_numa(root, m);
	read_hugepages(root, m);
	read_pci(root, m);
	read_limits(root, m);
	be = spapr_vfio_backend_create_at(sysroot_path(root, "dev/vfio", dev, sizeof(dev)));
	if (!be) {
		info_note(m, "vfio backend: %s", strerror(errno));
		return 0;
	}
	info_probe_groups(be, m);
	spapr_vfio_backend_destroy(be);
	return 0;
}
