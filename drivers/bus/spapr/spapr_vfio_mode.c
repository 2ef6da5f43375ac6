/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_vfio_mode.c - backend=vfio: own the IOMMU groups of the vfio-pci
 * devices bus_pci is about to probe, before it probes them.
 *
 * For each container (lib/eal/linux/eal_vfio.c facts, v22.11.11):
 *   cfd = rte_vfio_container_create()           DPDK records the container
 *   dfd = rte_vfio_container_group_bind(cfd, g) DPDK opens and records the group
 *   gfd = dup(dfd)                              the plugin's own reference
 *   VFIO_GROUP_SET_CONTAINER(gfd, cfd)          done here, so that ...
 *   lib/dma: SET_IOMMU(v2), window, REGISTER, MAP
 * ... bus_pci's rte_vfio_setup_device() later gets dfd back from
 * rte_vfio_get_group_fd(), sees VFIO_GROUP_FLAGS_CONTAINER_SET and does no
 * IOMMU or DMA set-up of its own (no sPAPR window code of DPDK runs).
 * rte_vfio_release_device() closes dfd when the last device of the group
 * goes (port detach); gfd keeps the group in the container until the
 * plugin has removed its window and registrations (spapr_hotplug.c).
 *
 * NOT TESTED on hardware: written against DPDK 22.11.11 and the kernel
 * facts; the machine this was built on has no VFIO (see doc/plugin.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_pci.h>
#include <rte_vfio.h>
#include <bus_driver.h>
#include <bus_pci_driver.h>

#include "spapr_priv.h"
#include "spapr_sysfs.h"
#include "spapr_vfio.h"

#define MAX_DEVS 256

struct vfio_dev {
	struct rte_pci_device *pdev;
	int group;
};

static struct vfio_dev devs[MAX_DEVS];
static unsigned int ndevs;

/*
 * This machine's platform as the vfio backend reports it (the kind from
 * /proc/cpuinfo "platform", as DPDK's bus_pci reads it; the page size):
 * one rule for the plugin, the tests and the tools. -ENODEV when this is
 * not a POWER sPAPR host. The backend is a short-lived one: it opens
 * nothing, and the IOVA class is asked before set-up creates the real one.
 */
int spapr_vfio_platform(struct spapr_dma_platform *plat)
{
	struct spapr_backend *be = spapr_vfio_backend_create();
	int rc;

	if (be == NULL)
		return -ENOMEM;
	rc = spapr_dma_platform_from_backend(be, plat);
	spapr_vfio_backend_destroy(be);
	return rc;
}

/* The same decision as bus_pci (pci_common.c rte_pci_ignore_device). */
static bool pci_will_probe(const struct rte_bus *pci, const struct rte_pci_device *d)
{
	const struct rte_devargs *da = d->device.devargs;

	if (d->kdrv != RTE_PCI_KDRV_VFIO)
		return false;
	if (da != NULL && da->policy == RTE_DEV_BLOCKED)
		return false;
	if (pci->conf.scan_mode == RTE_BUS_SCAN_ALLOWLIST)
		return da != NULL && da->policy == RTE_DEV_ALLOWED;
	return true;
}

static int any_dev(const struct rte_device *dev, const void *data)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(data);
	return 0;
}

static const char *pci_sysfs(void)
{
	const char *p = getenv("SYSFS_PCI_DEVICES");

	return p != NULL ? p : "/sys/bus/pci/devices";
}

/* Call @fn on every vfio-pci device bus_pci will probe, until it returns non-zero. */
static int for_each_probed(int (*fn)(struct rte_pci_device *pd, const char *name, void *arg),
			   void *arg)
{
	struct rte_bus *pci = rte_bus_find_by_name("pci");
	struct rte_device *dev = NULL;
	int rc = 0;

	if (pci == NULL || pci->find_device == NULL)
		return 0;
	while (rc == 0 && (dev = pci->find_device(dev, any_dev, NULL)) != NULL) {
		struct rte_pci_device *pd = RTE_DEV_TO_PCI(dev);
		char name[PCI_PRI_STR_SIZE];

		if (!pci_will_probe(pci, pd))
			continue;
		rte_pci_device_name(&pd->addr, name, sizeof(name));
		rc = fn(pd, name, arg);
	}
	return rc;
}

struct name_list {
	char *buf;
	size_t len, off;
	unsigned int n;
};

static int list_name(struct rte_pci_device *pd, const char *name, void *arg)
{
	struct name_list *l = arg;
	int k = l->off < l->len ?
		snprintf(l->buf + l->off, l->len - l->off, "%s%s", l->n ? " " : "", name) : 0;

	RTE_SET_USED(pd);
	l->off += k > 0 ? (size_t)k : 0;
	l->n++;
	return 0;
}

unsigned int spapr_vfio_devices_listed(char *names, size_t len)
{
	struct name_list l = { .buf = names, .len = len };

	names[0] = '\0';
	for_each_probed(list_name, &l);
	return l.n;
}

static int collect_one(struct rte_pci_device *pd, const char *name, void *arg)
{
	int group;

	RTE_SET_USED(arg);
	if (rte_vfio_get_group_num(pci_sysfs(), name, &group) != 1) {
		spapr_fail(-ENODEV, "no IOMMU group for vfio-pci device %s", name);
		return spapr.status;
	}
	if (ndevs == MAX_DEVS) {
		spapr_fail(-E2BIG, "more than %d vfio-pci devices", MAX_DEVS);
		return spapr.status;
	}
	devs[ndevs].pdev = pd;
	devs[ndevs].group = group;
	ndevs++;
	return 0;
}

static int collect_devices(void)
{
	ndevs = 0;
	return for_each_probed(collect_one, NULL);
}

/* Distinct group numbers, in device order. */
static unsigned int unique_groups(int *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ndevs; i++) {
		bool seen = false;

		for (unsigned int k = 0; k < n; k++)
			seen |= out[k] == devs[i].group;
		if (!seen && n < max)
			out[n++] = devs[i].group;
	}
	return n;
}

/* Keep bus_pci off @pd: its devargs (given or added) say blocked. */
static int block_device(struct rte_pci_device *pd, const char *name, void *arg)
{
	struct rte_devargs *da = pd->device.devargs;

	RTE_SET_USED(arg);
	if (da == NULL) {
		da = calloc(1, sizeof(*da));
		if (da == NULL || rte_devargs_parsef(da, "pci:%s", name) != 0) {
			free(da);
			return 0;
		}
		da->type = RTE_DEVTYPE_BLOCKED;
		if (rte_devargs_insert(&da) != 0)
			return 0;
		pd->device.devargs = da;
	}
	da->policy = RTE_DEV_BLOCKED;
	SPAPR_LOG(ERR, "device %s blocked: the plugin has no DMA set-up for it (%s)\n",
		  name, spapr.error);
	return 0;
}

/* If the plugin fails, DPDK's own sPAPR code must not take the devices. */
static void block_devices(void)
{
	for (unsigned int i = 0; i < ndevs; i++) {
		char name[PCI_PRI_STR_SIZE];

		rte_pci_device_name(&devs[i].pdev->addr, name, sizeof(name));
		block_device(devs[i].pdev, name, NULL);
	}
}

/*
 * Bad options: the plugin cannot tell which backend was meant, so on a
 * host that may be POWER sPAPR (or cannot be told) it blocks every vfio-pci
 * device bus_pci would probe, as a failed vfio set-up does. Elsewhere DPDK's
 * own (type1) VFIO code is right for them and nothing is blocked. The
 * recorded error stays the options'.
 */
void spapr_vfio_block_after_bad_opts(void)
{
	struct spapr_dma_platform plat;

	if (spapr_vfio_platform(&plat) == -ENODEV)
		return;
	for_each_probed(block_device, NULL);
}

/* Close the plugin's group references, let DPDK close its group fds (those
 * it still records) and the container. */
static void undo_bind(int cfd, const int *groups, const int *gfds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (gfds[i] >= 0)
			spapr.be->ops->close(spapr.be, gfds[i]);
		rte_vfio_container_group_unbind(cfd, groups[i]);
	}
	spapr.be->ops->close(spapr.be, cfd);
	rte_vfio_container_destroy(cfd);
}

/*
 * Open @group in DPDK's container @cfd (DPDK's fd in *@dfd) and set it to
 * that container through the plugin's duplicate *@gfd: DPDK closing its fd
 * (the group's last device released) then leaves the group attached until
 * the plugin has taken its window and registrations back (§4: closing the
 * last reference detaches the group).
 */
static int bind_group(int cfd, int group, int *dfd, int *gfd)
{
	uint32_t flags = 0;
	int rc;

	*gfd = -1;
	*dfd = rte_vfio_container_group_bind(cfd, group);
	if (*dfd < 0)
		return -EBUSY;
	*gfd = fcntl(*dfd, F_DUPFD_CLOEXEC, 0);
	if (*gfd < 0)
		return -errno;
	rc = spapr.be->ops->group_get_status(spapr.be, *gfd, &flags);
	if (rc == 0 && !(flags & VFIO_GROUP_FLAGS_VIABLE))
		rc = -EPERM;	/* a device of the group is not bound to vfio-pci */
	if (rc == 0 && (flags & VFIO_GROUP_FLAGS_CONTAINER_SET))
		rc = -EBUSY;
	if (rc == 0)
		rc = spapr.be->ops->group_set_container(spapr.be, *gfd, cfd);
	return rc;
}

/* Why @group could not join a container, naming the devices that keep it
 * from being viable (doc/kernel-model.md §4). */
static void fail_group(int group, int rc)
{
	char who[SPAPR_ERR_LEN / 2];

	if (rc == -EPERM && spapr_sysfs_group_blockers(pci_sysfs(), group, who, sizeof(who)) > 0) {
		spapr_fail(rc, "IOMMU group %d is not viable: %s; bind each to vfio-pci "
			   "(dpdk-devbind.py -b vfio-pci ADDR) or unbind it from its driver",
			   group, who);
		return;
	}
	spapr_fail(rc, "IOMMU group %d: %s (it must be viable: every device of the group bound to vfio-pci, and not used by another process)",
		   group, strerror(-rc));
}

/* One DPDK container with @groups set to it, handed to lib/dma. */
static int own_container(const int *groups, unsigned int n)
{
	struct spapr_container_ref *ref = &spapr.cont[spapr.ncont];
	int gfds[SPAPR_MAX_GROUPS_PER_CONTAINER], dfds[SPAPR_MAX_GROUPS_PER_CONTAINER];
	struct spapr_dma_error e;
	char why[SPAPR_ERR_LEN];
	unsigned int bound = 0, set = 0;
	int cfd, rc = 0;

	cfd = rte_vfio_container_create();
	if (cfd < 0) {
		spapr_fail(-ENOSPC, "rte_vfio_container_create failed (DPDK allows RTE_MAX_VFIO_CONTAINERS)");
		return spapr.status;
	}
	spapr_vfio_backend_adopt_container(spapr.be, cfd);
	for (; bound < n && rc == 0; bound++) {
		rc = bind_group(cfd, groups[bound], &dfds[bound], &gfds[bound]);
		if (rc == 0)
			set++;
		else
			fail_group(groups[bound], rc);
	}
	if (rc == 0) {
		rc = spapr_container_attach(cfd, gfds, n, &ref->c, &e);
		if (rc) {
			spapr_error_text(&e, why, sizeof(why));
			spapr_fail(rc, "container for group %d: %s", groups[0], why);
		}
	}
	if (rc) {
		for (unsigned int i = 0; i < set; i++)
			spapr.be->ops->group_unset_container(spapr.be, gfds[i]);
		undo_bind(cfd, groups, gfds, bound);
		return spapr.status;
	}
	memcpy(ref->groups, groups, n * sizeof(*groups));
	memcpy(ref->group_handles, gfds, n * sizeof(*gfds));
	memcpy(ref->dpdk_fds, dfds, n * sizeof(*dfds));
	ref->ngroups = n;
	memset(ref->parked, 0, sizeof(ref->parked));
	ref->container_handle = cfd;
	spapr.ncont++;
	return 0;
}

static int own_groups(const int *groups, unsigned int n, enum spapr_dma_platform_kind kind)
{
	/* pseries windows cannot be shared (trap §10.15): a container per group. */
	unsigned int per = kind == SPAPR_DMA_PLATFORM_PSERIES ? 1 : SPAPR_MAX_GROUPS_PER_CONTAINER;

	for (unsigned int i = 0; i < n; i += per) {
		unsigned int k = n - i < per ? n - i : per;
		int rc;

		if (spapr.ncont == SPAPR_MAX_CONTAINERS) {
			spapr_fail(-ENOSPC, "more than %d containers", SPAPR_MAX_CONTAINERS);
			return spapr.status;
		}
		rc = own_container(groups + i, k);
		if (rc)
			return rc;
	}
	return 0;
}

/* Backend, engine and DPDK's memory, before the first container. */
static int engine_start(const struct spapr_dma_platform *plat)
{
	struct spapr_dma_policy pol;
	int rc;

	if (!rte_vfio_is_enabled("vfio")) {
		spapr_fail(-ENODEV, "VFIO is not enabled in the EAL (modules vfio, vfio_iommu_spapr_tce, vfio-pci loaded?)");
		return spapr.status;
	}
	spapr.one_group_per_container = plat->kind == SPAPR_DMA_PLATFORM_PSERIES;
	spapr.be = spapr_vfio_backend_create();
	if (spapr.be == NULL) {
		spapr_fail(-ENOMEM, "cannot create the vfio backend");
		return spapr.status;
	}
	spapr_policy_from_opts(&pol);
	spapr.ctx = spapr_ctx_create(plat, &pol);
	if (spapr.ctx == NULL) {
		spapr_fail(-ENOMEM, "cannot create the lib/dma engine");
		return spapr.status;
	}
	rc = spapr_mem_collect();
	if (rc == 0)
		spapr_va_report();
	return rc;
}

int spapr_setup_vfio(void)
{
	int groups[SPAPR_MAX_CONTAINERS];
	struct spapr_dma_platform plat;
	unsigned int ngroups;
	int rc;

	spapr.eal_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	rc = spapr_vfio_platform(&plat);
	if (rc == -ENODEV) {
		spapr.idle = true;
		return 0;	/* not a POWER sPAPR machine: nothing to do */
	}
	if (rc) {
		/* Maybe POWER: keep DPDK's own sPAPR code off the devices. */
		spapr_fail(rc, "cannot tell whether this is a POWER sPAPR host "
			       "(/proc/cpuinfo or the vfio backend)");
		collect_devices();
		goto fail;
	}
	rc = collect_devices();
	if (rc) {
		/* Those collected and those not yet seen alike. */
		for_each_probed(block_device, NULL);
		return rc;
	}
	rc = spapr_refuse_va_early(&plat);
	if (rc)
		goto fail;
	ngroups = unique_groups(groups, RTE_DIM(groups));
	if (ngroups == 0) {
		/* No vfio-pci device for bus_pci to probe now; devices
		 * plugged later start the engine (spapr_vfio_engine_start). */
		spapr.idle = true;
		spapr.power_idle = true;
		return 0;
	}
	rc = engine_start(&plat);
	if (rc == 0)
		rc = own_groups(groups, ngroups, plat.kind);
	if (rc == 0) {
		spapr_log_plans();
		rc = spapr_mem_publish_iovas();
	}
	if (rc == 0)
		rc = spapr_mem_events_start();
	if (rc == 0)
		rc = spapr_capacity_start();
	if (rc == 0)
		return 0;
fail:
	block_devices();
	return spapr.status;
}

int spapr_vfio_engine_start(void)
{
	struct spapr_dma_platform plat;
	int rc = spapr_vfio_platform(&plat);

	if (rc) {
		spapr_fail(rc, "cannot tell whether this is a POWER sPAPR host "
			       "(/proc/cpuinfo or the vfio backend)");
		return rc;
	}
	rc = spapr_refuse_va_early(&plat);
	return rc ? rc : engine_start(&plat);
}

/*
 * After lib/dma released its containers (spapr_teardown). @unbind: give the
 * groups and containers back to DPDK (after a failed set-up, whose devices
 * are blocked). At rte_eal_cleanup() bus_pci still holds the devices and
 * releases the groups itself: only the plugin's group references close.
 */
void spapr_vfio_release(bool unbind)
{
	for (unsigned int i = 0; i < spapr.nreleased; i++) {
		struct spapr_container_ref *ref = &spapr.cont[i];

		if (unbind) {
			undo_bind(ref->container_handle, ref->groups, ref->group_handles,
				  ref->ngroups);
		} else {
			for (unsigned int k = 0; k < ref->ngroups; k++)
				spapr.be->ops->close(spapr.be, ref->group_handles[k]);
			spapr.be->ops->close(spapr.be, ref->container_handle);
		}
		ref->container_handle = -1;
		ref->ngroups = 0;
	}
	spapr.nreleased = 0;
	if (spapr.be != NULL)
		spapr_vfio_backend_destroy(spapr.be);
	spapr.be = NULL;
}

/* ---- hotplug: devices bus_pci probes after start-up (spapr_hotplug.c) ---- */

static bool vfio_dev_group(const struct rte_device *dev, int *group)
{
	const struct rte_pci_device *pd = RTE_DEV_TO_PCI_CONST(dev);
	char name[PCI_PRI_STR_SIZE];

	if (pd->kdrv != RTE_PCI_KDRV_VFIO)
		return false;
	rte_pci_device_name(&pd->addr, name, sizeof(name));
	return rte_vfio_get_group_num(pci_sysfs(), name, group) == 1;
}

static int vfio_hp_join(struct spapr_container_ref *ref, int group)
{
	int dfd, gfd, rc = bind_group(ref->container_handle, group, &dfd, &gfd);

	if (rc) {
		fail_group(group, rc);
		if (gfd >= 0)
			spapr.be->ops->close(spapr.be, gfd);
		if (dfd >= 0)
			rte_vfio_container_group_unbind(ref->container_handle, group);
		return rc;
	}
	ref->groups[ref->ngroups] = group;
	ref->group_handles[ref->ngroups] = gfd;
	ref->dpdk_fds[ref->ngroups] = dfd;
	ref->parked[ref->ngroups] = false;
	ref->ngroups++;
	return 0;
}

static int vfio_hp_create(int group)
{
	return own_container(&group, 1);
}

/*
 * DPDK still has the group open through the fd it recorded: that fd is
 * the same open file as the plugin's duplicate. A group opens once at a
 * time (GRP vfio_group_fops_open: -EBUSY), so an fd of the same device
 * number while the duplicate is open can only be that file.
 */
static bool dpdk_holds(const struct spapr_container_ref *ref, unsigned int slot)
{
	struct stat a, b;

	if (ref->dpdk_fds[slot] < 0 || fstat(ref->dpdk_fds[slot], &a) != 0 ||
	    fstat(ref->group_handles[slot], &b) != 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_rdev == b.st_rdev;
}

static bool vfio_hp_unused(const struct spapr_container_ref *ref, unsigned int slot)
{
	return !dpdk_holds(ref, slot);
}

static int vfio_hp_unset(struct spapr_container_ref *ref, unsigned int slot)
{
	int gfd = ref->group_handles[slot], group = ref->groups[slot];
	bool held = dpdk_holds(ref, slot);
	int rc = spapr.be->ops->group_unset_container(spapr.be, gfd), rc2;

	if (rc)
		SPAPR_LOG(ERR, "GROUP_UNSET_CONTAINER of IOMMU group %d: %s (errno %d); closing "
			  "it detaches the group all the same (§4)\n", group, strerror(-rc), -rc);
	rc2 = spapr.be->ops->close(spapr.be, gfd);
	if (rc2)
		SPAPR_LOG(ERR, "close of IOMMU group %d (fd %d): %s (errno %d); left behind: the "
			  "group stays attached until the process exits\n", group, gfd,
			  strerror(-rc2), -rc2);
	/* DPDK still records it when its device never probed: close DPDK's fd too. */
	if (held)
		rte_vfio_container_group_unbind(ref->container_handle, group);
	ref->dpdk_fds[slot] = -1;
	return rc ? rc : rc2;
}

static void vfio_hp_close_container(struct spapr_container_ref *ref)
{
	spapr.be->ops->close(spapr.be, ref->container_handle);	/* the adoption */
	rte_vfio_container_destroy(ref->container_handle);
}

const struct spapr_hotplug_ops spapr_vfio_hotplug_ops = {
	.bus = "pci",
	.dev_group = vfio_dev_group,
	.join = vfio_hp_join,
	.create = vfio_hp_create,
	.unset = vfio_hp_unset,
	.close_container = vfio_hp_close_container,
	.unused = vfio_hp_unused,
};
