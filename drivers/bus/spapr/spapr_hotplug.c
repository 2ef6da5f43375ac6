/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spapr_hotplug.c - devices probed after start-up (rte_dev_probe(), testpmd
 * "port attach", OVS add-port) join the plugin's DMA set-up before their
 * PMD runs, and devices removed (rte_dev_remove(), "port detach") leave it.
 *
 * The hook: the plug and unplug callbacks of the bus of the plugin's
 * devices (bus_pci in vfio mode, vdev for net_spapr_model in model mode)
 * are wrapped. In DPDK 22.11, 24.11 and 25.11 rte_dev_probe() reaches a
 * device only through bus->plug() (local_dev_probe) and rte_dev_remove()
 * only through bus->unplug() (local_dev_remove), both in
 * lib/eal/common/eal_common_dev.c:
 *
 *   plug:   the device's IOMMU group is set up first: on PowerNV it joins
 *           a container (the window is shared, the mappings reach it at
 *           once, §4 "attach when windows exist"); on pseries it gets a
 *           container and window of its own with every mapping made. Only
 *           then does bus_pci's plug run rte_vfio_setup_device(), which
 *           finds the group in the plugin's container and sets nothing up
 *           (no device ever lands in DPDK's default container). When the
 *           set-up fails, the device is refused: its PMD never runs.
 *   unplug: bus_pci's unplug releases the device; when that was the last
 *           device of its group DPDK closes its group fd, and the plugin's
 *           own reference keeps the group attached. In a shared container
 *           whose other groups are in use the group stays so, parked: a
 *           detach would make the kernel clear the TCEs of the others too
 *           (§4, ML-CLEAR) while their devices may be moving packets. The
 *           last group in use takes the container with it: window and
 *           registrations removed (locked_vm goes back), then every group,
 *           parked ones included, unset, then the container closed.
 *   again:  a parked group becomes in use again with no kernel call in
 *           model mode; in vfio mode DPDK must open the group itself, so it
 *           is detached (the others' TCEs cleared and mapped again, logged
 *           as a WARNING) and joins again.
 *   cleanup: at rte_eal_cleanup() the bus removes its open devices first,
 *           then the plugin lets go of everything (hp_cleanup()), parked
 *           groups included.
 *
 * Why not the alternatives: device event callbacks (rte_dev_event_*) come
 * from the uevent monitor after the kernel acted and never before a PMD
 * probes; binding a group when the EAL opens it would need a hook inside
 * eal_vfio.c, which has none. rte_vdev_init() probes a vdev without
 * bus->plug: it is not covered (testpmd and OVS use rte_dev_probe()).
 *
 * Locking: DPDK's memory lock first, then the plugin's (the order of the
 * EAL's memory events), so that no memory event or rte_spapr_dma_map() runs
 * while the containers change.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_eal_memconfig.h>
#include <rte_mempool.h>
#include <bus_driver.h>
#include <dev_driver.h>

#include "spapr_priv.h"

RTE_DEFINE_PER_LCORE(bool, spapr_mem_locked);

static struct rte_bus *hp_bus;
static rte_bus_plug_t bus_plug;
static rte_bus_unplug_t bus_unplug;
static rte_bus_cleanup_t bus_cleanup;

static void hp_lock(void)
{
	rte_mcfg_mem_read_lock();
	spapr_mem_lock();
	RTE_PER_LCORE(spapr_mem_locked) = true;
}

static void hp_unlock(void)
{
	RTE_PER_LCORE(spapr_mem_locked) = false;
	spapr_mem_unlock();
	rte_mcfg_mem_read_unlock();
}

static bool find_group(int group, unsigned int *ci, unsigned int *slot)
{
	for (unsigned int i = 0; i < spapr.ncont; i++)
		for (unsigned int k = 0; k < spapr.cont[i].ngroups; k++)
			if (spapr.cont[i].groups[k] == group) {
				*ci = i;
				*slot = k;
				return true;
			}
	return false;
}

static void remove_slot(struct spapr_container_ref *ref, unsigned int slot)
{
	unsigned int rest = ref->ngroups - slot - 1;

	memmove(&ref->groups[slot], &ref->groups[slot + 1], rest * sizeof(ref->groups[0]));
	memmove(&ref->group_handles[slot], &ref->group_handles[slot + 1],
		rest * sizeof(ref->group_handles[0]));
	memmove(&ref->dpdk_fds[slot], &ref->dpdk_fds[slot + 1], rest * sizeof(ref->dpdk_fds[0]));
	memmove(&ref->parked[slot], &ref->parked[slot + 1], rest * sizeof(ref->parked[0]));
	ref->ngroups--;
}

/* The groups of @ref that a device uses (not parked), @slot left out
 * (-1: none), listed in @list when not NULL. */
static unsigned int groups_in_use(const struct spapr_container_ref *ref, int slot, char *list,
				  size_t len)
{
	unsigned int n = 0;
	size_t off = 0;

	if (list != NULL && len > 0)
		list[0] = '\0';
	for (unsigned int k = 0; k < ref->ngroups; k++) {
		if ((int)k == slot || ref->parked[k])
			continue;
		if (list != NULL && off < len)
			off += (size_t)snprintf(list + off, len - off, "%s%d", n ? "," : "",
						ref->groups[k]);
		n++;
	}
	return n;
}

/* A group leaves a container that keeps others (vfio: a parked group DPDK
 * must open again): the kernel cleared the container's TCEs for all of
 * them (§4): map everything again. */
static int leave_shared(unsigned int ci, unsigned int slot)
{
	struct spapr_container_ref *ref = &spapr.cont[ci];
	int group = ref->groups[slot], rc, rc2;
	struct spapr_dma_stats st;
	struct spapr_dma_error e;
	char why[SPAPR_ERR_LEN];

	rc = spapr.hotplug->unset(ref, slot);
	remove_slot(ref, slot);
	rc2 = spapr_dma_container_remap(ref->c, &e);
	if (rc2) {
		spapr_error_text(&e, why, sizeof(why));
		SPAPR_LOG(ERR, "IOMMU group %d left container %u, whose TCEs the kernel then cleared "
			  "for its %u other group(s) too (§4); mapping them again failed: %s\n",
			  group, ci, ref->ngroups, why);
		return rc2;
	}
	spapr_dma_container_stats(ref->c, &st);
	SPAPR_LOG(INFO, "IOMMU group %d left container %u; the %" PRIu64 " MiB of its %u other "
		  "group(s), cleared by the kernel on the detach (§4), are mapped again (%u MAP(s))\n",
		  group, ci, st.bytes_mapped >> 20, ref->ngroups, st.mappings);
	return rc;
}

/*
 * The container goes with every group still set to it (the one leaving and
 * the parked ones): window and registrations first (locked_vm goes back),
 * then each group is unset (no TCE is left for a detach to clear, and no
 * device of the container is in use, so no DMA meets a cleared window),
 * then the container is closed.
 */
static int leave_container(unsigned int ci)
{
	struct spapr_container_ref *ref = &spapr.cont[ci];
	int group = ref->groups[0], rc, first;
	unsigned int nparked = 0;
	struct spapr_dma_error e;
	char why[SPAPR_ERR_LEN], parked[96] = "";
	size_t off = 0;

	for (unsigned int k = 0; k < ref->ngroups; k++) {
		if (!ref->parked[k]) {
			group = ref->groups[k];
			continue;
		}
		if (off < sizeof(parked))
			off += (size_t)snprintf(parked + off, sizeof(parked) - off, "%s%d",
						nparked ? "," : "", ref->groups[k]);
		nparked++;
	}
	first = spapr_dma_container_destroy(ref->c, &e);
	if (first) {
		spapr_error_text(&e, why, sizeof(why));
		SPAPR_LOG(ERR, "releasing IOMMU group %d: container %u: %s\n", group, ci, why);
	}
	ref->c = NULL;
	while (ref->ngroups > 0) {
		rc = spapr.hotplug->unset(ref, ref->ngroups - 1);
		first = first ? first : rc;
		ref->ngroups--;
	}
	spapr.hotplug->close_container(ref);
	memmove(&spapr.cont[ci], &spapr.cont[ci + 1],
		(spapr.ncont - ci - 1) * sizeof(spapr.cont[0]));
	spapr.ncont--;
	if (first == 0 && nparked == 0)
		SPAPR_LOG(INFO, "IOMMU group %d released: its container, window and registrations "
			  "are gone (%u container(s) left)\n", group, spapr.ncont);
	else if (first == 0)
		SPAPR_LOG(INFO, "IOMMU group %d released, the last in use of its container: the "
			  "container, window and registrations are gone, and the parked group(s) "
			  "%s are unset with it (%u container(s) left)\n", group, parked, spapr.ncont);
	return first;
}

/*
 * The group at @slot has no device any more. On a shared window (PowerNV)
 * with other groups in use it is parked: detaching it would make the
 * kernel clear every TCE of the window, the others' too (§4, ML-CLEAR;
 * tce_iommu_detach_group), and their devices would fault (EEH freeze) on
 * any DMA until the plugin mapped everything again; OVS and testpmd do not
 * stop the other ports when they remove one. The device itself was
 * released (VFIO resets it when its fd closes), so the parked group makes
 * no DMA. The last group in use takes the whole container with it.
 */
static int leave_group(unsigned int ci, unsigned int slot)
{
	struct spapr_container_ref *ref = &spapr.cont[ci];
	char users[64];
	unsigned int n = groups_in_use(ref, (int)slot, users, sizeof(users));

	if (spapr.one_group_per_container || n == 0)
		return leave_container(ci);
	ref->parked[slot] = true;
	SPAPR_LOG(INFO, "IOMMU group %d parked in container %u: it has no device any more, but a "
		  "detach would make the kernel clear the shared window's TCEs for the group(s) %s still "
		  "in use (§4, ML-CLEAR); it stays attached, unused, until the last of them "
		  "leaves\n", ref->groups[slot], ci, users);
	return 0;
}

/*
 * vfio mode: a parked group whose device comes back. DPDK's
 * rte_vfio_setup_device() must open /dev/vfio/N itself (eal_vfio.c
 * vfio_get_group_fd: DPDK's record was cleared when the group's last
 * device was released, and no API takes an fd opened elsewhere), and the
 * kernel allows one open file per group (vfio_group_fops_open: -EBUSY
 * while group->opened_file is set), which the plugin's reference is. So
 * the group is detached and joins again: the gap the parking avoided.
 */
static int unpark_vfio(unsigned int ci, unsigned int slot)
{
	struct spapr_container_ref *ref = &spapr.cont[ci];
	char users[64];
	unsigned int n = groups_in_use(ref, (int)slot, users, sizeof(users));

	if (n == 0 || ref->ngroups == 1)
		return leave_container(ci);
	SPAPR_LOG(WARNING, "IOMMU group %d is parked in container %u and DPDK must open it itself, "
		  "which the kernel refuses while the plugin holds it (one open file per group): "
		  "the plugin detaches it and joins it again, and the kernel clears the shared "
		  "window's TCEs on the detach (§4, ML-CLEAR) until they are mapped again: the "
		  "devices of group(s) %s of container %u must not DMA meanwhile; stop their ports "
		  "before attaching this device, or expect an EEH freeze\n",
		  ref->groups[slot], ci, users, ci);
	return leave_shared(ci, slot);
}

/* PowerNV: the first container with room for another group (windows are shared). */
static struct spapr_container_ref *shared_container(void)
{
	if (spapr.one_group_per_container)
		return NULL;
	for (unsigned int i = 0; i < spapr.ncont; i++)
		if (spapr.cont[i].ngroups < SPAPR_MAX_GROUPS_PER_CONTAINER)
			return &spapr.cont[i];
	return NULL;
}

static void count_pool(struct rte_mempool *mp, void *arg)
{
	RTE_SET_USED(mp);
	(*(unsigned int *)arg)++;
}

/*
 * The first container of a plugin idle at start-up: DPDK's IOVAs become the
 * window's (spapr_mem.c). Mempools made before keep the IOVAs of their
 * objects (mbuf buf_iova): refused when the window changes them.
 */
static int first_container_publish(void)
{
	unsigned int pools = 0;
	int rc;

	rte_mempool_walk(count_pool, &pools);
	if (pools > 0 && spapr_mem_publish_changes()) {
		spapr_fail(-EXDEV, "the window gives DPDK's memory other IOVAs than it had, and %u "
			   "mempool(s) made before this first device keep the old ones in their "
			   "objects; give a device at start-up (-a), or create the pools after "
			   "attaching it", pools);
		return -EXDEV;
	}
	spapr_log_plans();
	rc = spapr_mem_publish_iovas();
	if (rc == 0)
		rc = spapr_mem_events_start();
	return rc;
}

/* A new container for @group (pseries, or PowerNV with no room). */
static int create_for(int group, bool first)
{
	char line[SPAPR_ERR_LEN];
	int rc;

	if (spapr.ncont == SPAPR_MAX_CONTAINERS) {
		spapr_fail(-ENOSPC, "more than %d containers", SPAPR_MAX_CONTAINERS);
		return -ENOSPC;
	}
	rc = spapr.hotplug->create(group);
	if (rc)
		return rc;
	rc = first ? first_container_publish() : spapr_mem_container_agrees(spapr.cont[spapr.ncont - 1].c);
	if (rc) {
		leave_container(spapr.ncont - 1);
		return rc;
	}
	spapr_plan_line(spapr.ncont - 1, line, sizeof(line));
	SPAPR_LOG(INFO, "IOMMU group %d: plan: %s\n", group, line);
	return 0;
}

static int join_group(int group)
{
	struct spapr_container_ref *ref = shared_container();
	bool first = spapr.ctx == NULL;
	int rc;

	if (first) {
		rc = spapr_vfio_engine_start();
		if (rc)
			goto undo_engine;
	}
	if (ref == NULL) {
		rc = create_for(group, first);
		if (rc)
			goto undo_engine;
		return 0;
	}
	rc = spapr.hotplug->join(ref, group);
	if (rc == 0)
		SPAPR_LOG(INFO, "IOMMU group %d joined container %u: the window is shared, its devices "
			  "reach the %" PRIu64 " MiB mapped there\n", group,
			  (unsigned int)(ref - spapr.cont), spapr.mem_bytes >> 20);
	return rc;
undo_engine:
	if (first) {
		spapr_teardown();
		spapr_vfio_release(true);
	}
	return rc;
}

/*
 * The group of a device about to probe is in a plugin container. *idle:
 * the group had no device before this one (joined now, or parked until
 * now), so a refused probe takes it out of use again.
 */
static int prepare_group(int group, bool *idle)
{
	unsigned int ci, slot;

	*idle = false;
	if (find_group(group, &ci, &slot)) {
		struct spapr_container_ref *ref = &spapr.cont[ci];

		/* Model mode, or DPDK still holds its group fd (another device
		 * of the group, or a refused probe that left DPDK's record):
		 * the device finds the group where it is. */
		if (spapr.model != NULL || !spapr.hotplug->unused(ref, slot)) {
			if (ref->parked[slot]) {
				ref->parked[slot] = false;
				*idle = true;
				SPAPR_LOG(INFO, "IOMMU group %d in use again in container %u: it "
					  "stayed attached (parked), so nothing changes in the "
					  "kernel; its devices reach the %" PRIu64 " MiB mapped "
					  "there\n", group, ci, spapr.mem_bytes >> 20);
			}
			return 0;
		}
		/* vfio: DPDK closed its fd; the plugin's reference keeps the
		 * group, which DPDK cannot open again. */
		unpark_vfio(ci, slot);
	}
	*idle = true;
	return join_group(group);
}

static int hp_plug(struct rte_device *dev)
{
	int group, rc, status;
	bool idle;

	if (!spapr.hotplug->dev_group(dev, &group))
		return bus_plug(dev);
	if (spapr.status) {
		SPAPR_LOG(ERR, "%s refused: the plugin's DMA set-up failed (%s), so its IOMMU group "
			  "%d cannot be set up; restart the application once the cause is fixed\n",
			  dev->name, spapr.error, group);
		return spapr.status;
	}
	hp_lock();
	status = spapr.status;
	rc = prepare_group(group, &idle);
	hp_unlock();
	if (rc) {
		SPAPR_LOG(ERR, "%s refused: its IOMMU group %d could not join the DMA set-up: %s\n",
			  dev->name, group, spapr.error);
		/* The refusal is the device's: the plugin goes on serving the others. */
		spapr.status = status;
		spapr.error[0] = '\0';
		return rc;
	}
	rc = bus_plug(dev);
	if (rc != 0 && !rte_dev_is_probed(dev) && idle) {
		unsigned int ci, slot;

		hp_lock();
		if (find_group(group, &ci, &slot))
			leave_group(ci, slot);
		hp_unlock();
	}
	return rc;
}

static int hp_unplug(struct rte_device *dev)
{
	unsigned int ci, slot;
	int group, rc;
	/* Before the bus frees the device. */
	bool ours = spapr.hotplug->dev_group(dev, &group);

	rc = bus_unplug(dev);
	if (rc != 0 || !ours)
		return rc;
	hp_lock();
	if (find_group(group, &ci, &slot) && spapr.hotplug->unused(&spapr.cont[ci], slot))
		leave_group(ci, slot);
	hp_unlock();
	return 0;	/* the device is gone: what the release could not undo is logged */
}

/*
 * rte_eal_cleanup(), which rte_exit() also runs, calls the buses' cleanups
 * in list order, the plugin's bus first (it registers first). Ports that the
 * application did not close are removed by their own bus's cleanup, and the
 * windows, mappings and (model backend) the host model must outlive them: a
 * device that is still running must not lose its TCEs, and net_spapr_model
 * reads the model as it closes. So the plugin lets go after that bus.
 */
static int hp_cleanup(void)
{
	int rc = bus_cleanup != NULL ? bus_cleanup() : 0;

	spapr_hotplug_uninstall();
	spapr_release();
	return rc;
}

bool spapr_hotplug_release_deferred(void)
{
	return hp_bus != NULL && hp_bus->cleanup == hp_cleanup;
}

int spapr_hotplug_install(const struct spapr_hotplug_ops *ops)
{
	struct rte_bus *bus;

	if (hp_bus != NULL)
		return 0;
	bus = rte_bus_find_by_name(ops->bus);
	if (bus == NULL || bus->plug == NULL || bus->unplug == NULL)
		return -ENODEV;
	bus_plug = bus->plug;
	bus_unplug = bus->unplug;
	bus_cleanup = bus->cleanup;
	bus->plug = hp_plug;
	bus->unplug = hp_unplug;
	bus->cleanup = hp_cleanup;
	hp_bus = bus;
	spapr.hotplug = ops;
	SPAPR_LOG(DEBUG, "devices of bus %s plugged after start-up join the DMA set-up\n",
		  ops->bus);
	return 0;
}

void spapr_hotplug_uninstall(void)
{
	if (hp_bus == NULL)
		return;
	if (hp_bus->plug == hp_plug)
		hp_bus->plug = bus_plug;
	if (hp_bus->unplug == hp_unplug)
		hp_bus->unplug = bus_unplug;
	if (hp_bus->cleanup == hp_cleanup)
		hp_bus->cleanup = bus_cleanup;
	hp_bus = NULL;
	spapr.hotplug = NULL;
}
