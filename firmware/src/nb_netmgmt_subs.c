/* The board's event subscription, changed without a gap: see nb_netmgmt_subs.h. */
#include "nb_netmgmt_subs.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/net_mgmt.h>
#include <zephyr/spinlock.h>

#include "nb_netmgmt_event.h"

/* Where an event is: its layer and layer code. One callback each. */
#define WHERE_MASK (NET_MGMT_LAYER_MASK | NET_MGMT_LAYER_CODE_MASK)

/* During a change the old and the new layer codes are registered together: room for both. */
#define N_SLOTS (2 * NB_SUBS_MAX)

struct slot {
	struct net_mgmt_event_callback cb;
	uint64_t where; /* 0: free (a real event always has the event bit) */
};

static nb_subs_sink_t sink;

static struct k_spinlock masks_lock;
static uint64_t masks[NB_SUBS_MAX]; /* under masks_lock: read on net_mgmt's thread */
static size_t n_masks;

static K_MUTEX_DEFINE(change_lock); /* one change at a time; guards slots[].where */
static struct slot slots[N_SLOTS];

static void on_event(struct net_mgmt_event_callback *cb, uint64_t code, struct net_if *iface)
{
	k_spinlock_key_t key = k_spin_lock(&masks_lock);
	bool wanted = nb_evt_masks_match(masks, n_masks, code);

	k_spin_unlock(&masks_lock, key);
	/* The callback takes every command of its layer code: most are not subscribed. */
	if (!wanted || sink == NULL) {
		return;
	}
#if defined(CONFIG_NET_MGMT_EVENT_INFO)
	sink(code, iface, cb->info, cb->info_length);
#else
	ARG_UNUSED(cb);
	sink(code, iface, NULL, 0);
#endif
}

static bool names_where(const uint64_t *m, size_t n, uint64_t where)
{
	for (size_t i = 0; i < n; i++) {
		if ((m[i] & WHERE_MASK) == where) {
			return true;
		}
	}
	return false;
}

static struct slot *slot_for(uint64_t where)
{
	for (size_t i = 0; i < N_SLOTS; i++) {
		if (slots[i].where == where) {
			return &slots[i];
		}
	}
	return NULL;
}

void nb_subs_init(nb_subs_sink_t s)
{
	sink = s;
}

int nb_subs_set(const uint64_t *m, size_t n)
{
	if (n > NB_SUBS_MAX) {
		return -ENOSPC;
	}

	k_mutex_lock(&change_lock, K_FOREVER);

	/* 1. Register the layer codes the new masks add (the old ones stay: at most 2 * max). */
	for (size_t i = 0; i < n; i++) {
		/* The event bit keeps `where` non-zero, so 0 can mean a free slot. */
		uint64_t where = NET_MGMT_EVENT_BIT | (m[i] & WHERE_MASK);

		if (slot_for(where) != NULL) {
			continue;
		}
		struct slot *s = slot_for(0);

		__ASSERT_NO_MSG(s != NULL); /* old + new layer codes never exceed N_SLOTS */
		s->where = where;
		/* Every command: net_mgmt's gate and its dispatch then pass them all to on_event. */
		net_mgmt_init_event_callback(&s->cb, on_event, where | NET_MGMT_COMMAND_MASK);
		net_mgmt_add_event_callback(&s->cb);
	}

	/* 2. The new filter, at once for net_mgmt's thread. */
	k_spinlock_key_t key = k_spin_lock(&masks_lock);

	memcpy(masks, m, n * sizeof(m[0]));
	n_masks = n;
	k_spin_unlock(&masks_lock, key);

	/* 3. Remove the layer codes no mask names any more. */
	for (size_t i = 0; i < N_SLOTS; i++) {
		if (slots[i].where != 0 && !names_where(m, n, slots[i].where & WHERE_MASK)) {
			net_mgmt_del_event_callback(&slots[i].cb);
			slots[i].where = 0;
		}
	}
	k_mutex_unlock(&change_lock);
	return 0;
}

size_t nb_subs_registered(void)
{
	size_t count = 0;

	k_mutex_lock(&change_lock, K_FOREVER);
	for (size_t i = 0; i < N_SLOTS; i++) {
		count += slots[i].where != 0;
	}
	k_mutex_unlock(&change_lock);
	return count;
}
