/*
 * The board's event subscription (nb_netmgmt_subs): one net_mgmt callback per layer code, an exact
 * filter, and a change of subscription that loses and duplicates nothing while events are raised
 * from another thread. Events use the user layer codes, which the network stack never raises.
 */
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/net/net_mgmt.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/ztest.h>

#include "nb_netmgmt_subs.h"

#define EV(code, cmd)                                                                               \
	(NET_MGMT_EVENT_BIT | NET_MGMT_LAYER(NET_MGMT_LAYER_L2) | NET_MGMT_LAYER_CODE(code) |      \
	 BIT64(cmd))
/* Named by every subscription of the stress test: none may be lost or seen twice. */
#define EV_KEPT EV(NET_MGMT_LAYER_CODE_USER1, 0)
/* Same layer code, a command no subscription names: never delivered. */
#define EV_NEVER EV(NET_MGMT_LAYER_CODE_USER1, 1)
#define EV_OTHER EV(NET_MGMT_LAYER_CODE_USER2, 0)
#define EV_THIRD EV(NET_MGMT_LAYER_CODE_USER3, 0)
/* Raised last and subscribed to: net_mgmt's queue is FIFO, so once it arrives the rest has. */
#define EV_FENCE EV(NET_MGMT_LAYER_CODE_USER3, 5)

#define STRESS_EVENTS 3000

static atomic_t kept, never, other, fence;
static atomic_t duplicates, out_of_range, bad_info;
static uint8_t seen[STRESS_EVENTS]; /* written by net_mgmt's thread only */
static K_SEM_DEFINE(fence_sem, 0, 1);

static void sink(uint64_t code, struct net_if *iface, const void *info, size_t len)
{
	ARG_UNUSED(iface);
	if (code == EV_KEPT) {
		uint32_t seq;

		atomic_inc(&kept);
		/* No zassert here: this is net_mgmt's thread, the test thread checks the counts. */
		if (info == NULL || len != sizeof(seq)) {
			atomic_inc(&bad_info);
			return;
		}
		memcpy(&seq, info, sizeof(seq));
		if (seq >= STRESS_EVENTS) {
			atomic_inc(&out_of_range);
		} else if (seen[seq]++ > 0) {
			atomic_inc(&duplicates);
		}
		/* Sleep now and then while net_mgmt holds its callback lock: a subscription
		 * change then blocks inside net_mgmt_add/del_event_callback, and the two
		 * threads take turns at every lock hand-over, i.e. between its steps. */
		if (seq % 4 == 0) {
			k_sleep(K_TICKS(1));
		}
	} else if (code == EV_NEVER) {
		atomic_inc(&never);
	} else if (code == EV_OTHER) {
		atomic_inc(&other);
	} else if (code == EV_FENCE) {
		atomic_inc(&fence);
		k_sem_give(&fence_sem);
	}
}

static void reset_counts(void)
{
	atomic_clear(&kept);
	atomic_clear(&never);
	atomic_clear(&other);
	atomic_clear(&fence);
	atomic_clear(&duplicates);
	atomic_clear(&out_of_range);
	atomic_clear(&bad_info);
	k_sem_reset(&fence_sem);
	memset(seen, 0, sizeof(seen));
}

static void raise(uint64_t code)
{
	net_mgmt_event_notify_with_info(code, NULL, NULL, 0);
}

/* Raises the fence (the caller's subscription must name it) and waits until it comes through. */
static void wait_for_fence(void)
{
	raise(EV_FENCE);
	zassert_ok(k_sem_take(&fence_sem, K_SECONDS(10)), "fence event not delivered");
}

static void *subs_setup(void)
{
	nb_subs_init(sink);
	return NULL;
}

static void subs_before(void *f)
{
	ARG_UNUSED(f);
	zassert_ok(nb_subs_set(NULL, 0));
	reset_counts();
}

ZTEST(netmgmt_subs, test_one_callback_per_layer_code)
{
	const uint64_t masks[] = {
		EV_KEPT,
		EV(NET_MGMT_LAYER_CODE_USER1, 2),
		/* The synchronous-wait bit would turn a callback into a one-shot wait. */
		EV_OTHER | NET_MGMT_SYNC_EVENT_BIT,
		EV_FENCE,
	};

	zassert_ok(nb_subs_set(masks, ARRAY_SIZE(masks)));
	zassert_equal(nb_subs_registered(), 3, "USER1, USER2, USER3");
	/* The same masks again register nothing more. */
	zassert_ok(nb_subs_set(masks, ARRAY_SIZE(masks)));
	zassert_equal(nb_subs_registered(), 3);
	/* One layer code fewer: its callback goes. */
	zassert_ok(nb_subs_set(masks, 2));
	zassert_equal(nb_subs_registered(), 1);

	/* More masks than the board keeps: refused, the subscription unchanged. */
	uint64_t too_many[NB_SUBS_MAX + 1];

	for (size_t i = 0; i < ARRAY_SIZE(too_many); i++) {
		too_many[i] = EV(NET_MGMT_LAYER_CODE_USER2, i);
	}
	zassert_equal(nb_subs_set(too_many, ARRAY_SIZE(too_many)), -ENOSPC);
	zassert_equal(nb_subs_registered(), 1);

	zassert_ok(nb_subs_set(NULL, 0));
	zassert_equal(nb_subs_registered(), 0);
}

ZTEST(netmgmt_subs, test_filter_is_exact)
{
	const uint64_t masks[] = {EV_KEPT, EV_OTHER | NET_MGMT_SYNC_EVENT_BIT, EV_FENCE};
	uint32_t seq = 0;

	zassert_ok(nb_subs_set(masks, ARRAY_SIZE(masks)));
	net_mgmt_event_notify_with_info(EV_KEPT, NULL, &seq, sizeof(seq));
	raise(EV_NEVER); /* the callback for USER1 takes it, the filter must not */
	raise(EV_OTHER);
	raise(EV_OTHER); /* a wait would have taken one only, then left the list */
	raise(EV_THIRD); /* USER3 has a callback (for the fence), this command is not subscribed */
	wait_for_fence();
	zassert_equal(atomic_get(&kept), 1);
	zassert_equal(atomic_get(&bad_info), 0, "the event's info reaches the sink");
	zassert_equal(atomic_get(&never), 0);
	zassert_equal(atomic_get(&other), 2);

	/* Unsubscribed: nothing at all. */
	zassert_ok(nb_subs_set(NULL, 0));
	net_mgmt_event_notify_with_info(EV_KEPT, NULL, &seq, sizeof(seq));
	raise(EV_OTHER);
	raise(EV_FENCE);
	zassert_equal(k_sem_take(&fence_sem, K_MSEC(200)), -EAGAIN);
	zassert_equal(atomic_get(&kept), 1);
	zassert_equal(atomic_get(&other), 2);
}

/* ---------------------------------------------------------------- changes under load */

/* Each names EV_KEPT and the fence, and adds, keeps or drops other layer codes around them. */
static const uint64_t v0[] = {EV_KEPT, EV_FENCE};
static const uint64_t v1[] = {EV_OTHER, EV_KEPT, EV_FENCE};
static const uint64_t v2[] = {EV_FENCE, EV_OTHER | BIT64(3), EV_KEPT | BIT64(2)};
static const uint64_t v3[] = {EV_KEPT | NET_MGMT_SYNC_EVENT_BIT, EV_THIRD | EV_FENCE};
static const struct {
	const uint64_t *m;
	size_t n;
} variants[] = {
	{v0, ARRAY_SIZE(v0)}, {v1, ARRAY_SIZE(v1)}, {v2, ARRAY_SIZE(v2)}, {v3, ARRAY_SIZE(v3)},
};

static atomic_t raising_done;
static atomic_t set_failures;

static void raiser(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);
	for (uint32_t seq = 0; seq < STRESS_EVENTS; seq++) {
		net_mgmt_event_notify_with_info(EV_KEPT, NULL, &seq, sizeof(seq));
		if (seq % 3 == 0) {
			raise(EV_NEVER);
		}
		k_yield();
	}
	atomic_set(&raising_done, 1);
}

static void subscriber(void *a, void *b, void *c)
{
	uint32_t *changes = a;

	ARG_UNUSED(b);
	ARG_UNUSED(c);
	while (!atomic_get(&raising_done)) {
		size_t i = *changes % ARRAY_SIZE(variants);

		if (nb_subs_set(variants[i].m, variants[i].n) != 0) {
			atomic_inc(&set_failures);
		}
		(*changes)++;
		k_yield();
	}
}

K_THREAD_STACK_DEFINE(raiser_stack, 2048);
K_THREAD_STACK_DEFINE(subscriber_stack, 2048);
static struct k_thread raiser_thread, subscriber_thread;

ZTEST(netmgmt_subs, test_changes_lose_and_duplicate_nothing)
{
	uint32_t changes = 0;

	zassert_ok(nb_subs_set(v0, ARRAY_SIZE(v0)));
	atomic_clear(&raising_done);
	atomic_clear(&set_failures);
	/* Equal preemptible priorities, yielding to each other after every step. */
	k_thread_create(&subscriber_thread, subscriber_stack, K_THREAD_STACK_SIZEOF(subscriber_stack),
			subscriber, &changes, NULL, NULL, K_PRIO_PREEMPT(5), 0, K_NO_WAIT);
	k_thread_create(&raiser_thread, raiser_stack, K_THREAD_STACK_SIZEOF(raiser_stack), raiser,
			NULL, NULL, NULL, K_PRIO_PREEMPT(5), 0, K_NO_WAIT);
	zassert_ok(k_thread_join(&raiser_thread, K_SECONDS(600)));
	zassert_ok(k_thread_join(&subscriber_thread, K_SECONDS(60)));

	/* Every variant names the fence: the last one is still in place. */
	wait_for_fence();
	TC_PRINT("%u subscription changes while %u events were raised\n", changes, STRESS_EVENTS);
	zassert_equal(atomic_get(&set_failures), 0);
	zassert_equal(atomic_get(&duplicates), 0, "events seen twice");
	zassert_equal(atomic_get(&out_of_range) + atomic_get(&bad_info), 0);
	zassert_equal(atomic_get(&kept), STRESS_EVENTS, "events lost: %ld of %u arrived",
		      atomic_get(&kept), STRESS_EVENTS);
	zassert_equal(atomic_get(&never), 0, "an unsubscribed command got through");
	/* Not a timing bound: a run with hardly any change would have tested nothing. */
	zassert_true(changes >= 100, "only %u subscription changes overlapped the events", changes);
}

ZTEST_SUITE(netmgmt_subs, NULL, subs_setup, subs_before, NULL, NULL);
