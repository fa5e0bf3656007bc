/*
 * The board's event subscription: the host's masks (exact filter) and the net_mgmt callbacks that
 * feed them, changed without a gap and without a duplicate.
 *
 * One callback per layer + layer code, registered for every command of it; the masks filter
 * exactly. A registered callback's mask is never rewritten (net_mgmt reads it under its own lock,
 * which this module cannot take), so a change registers the layer codes it adds, swaps the masks
 * under a spinlock, and only then removes the layer codes it drops. net_mgmt runs an event past
 * one consistent callback list, and a layer code never has two callbacks: an event that both the
 * old and the new subscription name reaches the sink exactly once, however the change and the
 * event interleave; net_mgmt's global mask (its gate when an event is raised) never loses it either.
 */
#ifndef NB_NETMGMT_SUBS_H_
#define NB_NETMGMT_SUBS_H_

#include <stddef.h>
#include <stdint.h>

struct net_if;

/* Masks the board keeps: also the most layer codes a subscription can have. */
#define NB_SUBS_MAX CONFIG_NETBRIDGE_MAX_SUBSCRIPTIONS

/* Gets each subscribed event, on net_mgmt's thread (one at a time, under net_mgmt's lock). */
typedef void (*nb_subs_sink_t)(uint64_t code, struct net_if *iface, const void *info, size_t len);

/* Where subscribed events go. Call before the first nb_subs_set(). */
void nb_subs_init(nb_subs_sink_t sink);

/*
 * Makes masks[0..n) the subscription (n == 0: none). 0, or -ENOSPC when n > NB_SUBS_MAX (the
 * subscription is then unchanged). Callers may race: changes are serialised.
 */
int nb_subs_set(const uint64_t *masks, size_t n);

/* How many net_mgmt callbacks are registered now (one per subscribed layer code). */
size_t nb_subs_registered(void);

#endif /* NB_NETMGMT_SUBS_H_ */
