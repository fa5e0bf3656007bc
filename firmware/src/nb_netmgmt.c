/*
 * net_mgmt ops (0x10-0x1a): event forwarding and interface requests.
 *
 * Events: EVT_SUBSCRIBE hands the host's masks to nb_netmgmt_subs (net_mgmt callbacks per layer
 * code, an exact filter, changed without a gap). Each subscribed event (net_mgmt's thread) is
 * decoded into a compact record and put in a bounded queue without waiting;
 * a full queue counts the drop and the core reports it with OVERRUN {1: events}. A work item on the
 * system work queue turns queued records into EVENT notifications while the core has a transmit
 * buffer for them, so a burst waits in the queue instead of being dropped at the UART.
 *
 * Requests run on the core's workers and answer with RSP / ITEM+DONE, or ERR with the board errno.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <zcbor_decode.h>
#include <zephyr/init.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/hostname.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/net_mgmt.h>
#include <zephyr/sys/atomic.h>
#if defined(CONFIG_NET_DHCPV4)
#include <zephyr/net/dhcpv4.h>
#endif
#if defined(CONFIG_NET_STATISTICS_USER_API)
#include <zephyr/net/net_stats.h>
#endif
#if defined(CONFIG_NET_L2_ETHERNET_MGMT)
#include <zephyr/net/ethernet_mgmt.h>
#endif

#include "nb_internal.h"
#include "nb_netmgmt_event.h"
#include "nb_netmgmt_iface.h"
#include "nb_netmgmt_subs.h"

LOG_MODULE_DECLARE(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

#define MAX_SUBS NB_SUBS_MAX
/* While events wait and the core has no buffer for them, look again this often. */
#define NB_EVT_RETRY_MS 5

/* ---------------------------------------------------------------- event state */

K_MSGQ_DEFINE(evt_queue, sizeof(struct nb_evt), CONFIG_NETBRIDGE_EVENT_QUEUE_LEN, 8);

/* Bumped by every network event the board sees: a dump that spans a change says so. */
static atomic_t generation;

/* Always registered, whatever the host subscribed to, so `interrupted` never misses a change. */
static struct net_mgmt_event_callback state_cbs[4];

static void send_events(struct k_work *work);
static K_WORK_DELAYABLE_DEFINE(send_work, send_events);

/* net_mgmt runs its callbacks one at a time (under its callback lock): one scratch record. */
static struct nb_evt scratch;

static void on_state_event(struct net_mgmt_event_callback *cb, uint64_t code, struct net_if *iface)
{
	ARG_UNUSED(cb);
	ARG_UNUSED(code);
	ARG_UNUSED(iface);
	atomic_inc(&generation);
}

/*
 * Facts the info struct lacks but the interface holds when the event is handled. (Not the prefix of
 * IPV4_ADDR_ADD: the netmask is set after the event is raised, so it would often be stale.)
 */
static void enrich(struct nb_evt *ev, struct net_if *iface)
{
	if (iface == NULL) {
		return;
	}
#if defined(CONFIG_NET_IPV4)
	if (ev->code == NET_EVENT_IPV4_DHCP_BOUND) {
		struct in_addr gw = net_if_ipv4_get_gw(iface);

		if (gw.s_addr != 0) {
			memcpy(ev->nexthop, &gw, 4);
			ev->keys |= BIT(NB_EVI_NEXTHOP);
		}
	}
#endif
}

static void on_subscribed_event(uint64_t code, struct net_if *iface, const void *info, size_t len)
{
	atomic_inc(&generation);

	memset(&scratch, 0, sizeof(scratch));
	scratch.code = code;
	scratch.uptime_ms = (uint64_t)k_uptime_get();
	scratch.ifindex = iface != NULL ? (uint32_t)net_if_get_by_iface(iface) : 0;
	nb_evt_decode_info(code, info, len, &scratch);
	enrich(&scratch, iface);

	if (k_msgq_put(&evt_queue, &scratch, K_NO_WAIT) != 0) {
		nb_stat_add(NB_CNT_EVENTS_DROPPED, 1);
		nb_overrun_add(NB_OVERRUN_EVENTS, 1);
	}
	k_work_schedule(&send_work, K_NO_WAIT);
}

static void send_events(struct k_work *work)
{
	static struct nb_evt ev; /* a work item never runs twice at once */
	struct nb_out o;

	ARG_UNUSED(work);
	while (k_msgq_peek(&evt_queue, &ev) == 0) {
		if (!nb_ntf_room(0)) {
			k_work_schedule(&send_work, K_MSEC(NB_EVT_RETRY_MS));
			return;
		}
		(void)k_msgq_get(&evt_queue, &ev, K_NO_WAIT);
		/* Another notifier may have taken the buffer since: then the core counts the
		 * drop and reports it with OVERRUN {1: events}. */
		if (nb_ntf_begin(&o, NB_OP_EVENT, NB_OVERRUN_EVENTS) != 0) {
			nb_stat_add(NB_CNT_EVENTS_DROPPED, 1);
			continue;
		}
		if (!nb_evt_encode_body(nb_out_enc(&o), &ev)) {
			nb_out_abort(&o);
			nb_stat_add(NB_CNT_EVENTS_DROPPED, 1);
			nb_overrun_add(NB_OVERRUN_EVENTS, 1);
			continue;
		}
		if (nb_out_send(&o) == 0) {
			nb_stat_add(NB_CNT_EVENTS_SENT, 1);
		} else {
			nb_stat_add(NB_CNT_EVENTS_DROPPED, 1);
		}
	}
}

static int netmgmt_init(void)
{
	static const uint64_t state_masks[] = {
		NET_EVENT_IF_BASE | NET_MGMT_COMMAND_MASK,
		NET_EVENT_IPV4_BASE | NET_MGMT_COMMAND_MASK,
		NET_EVENT_IPV6_BASE | NET_MGMT_COMMAND_MASK,
		NET_EVENT_L4_BASE | NET_MGMT_COMMAND_MASK,
	};

	BUILD_ASSERT(ARRAY_SIZE(state_masks) == ARRAY_SIZE(state_cbs));
	nb_subs_init(on_subscribed_event);
	for (size_t i = 0; i < ARRAY_SIZE(state_cbs); i++) {
		net_mgmt_init_event_callback(&state_cbs[i], on_state_event, state_masks[i]);
		net_mgmt_add_event_callback(&state_cbs[i]);
	}
	return 0;
}
SYS_INIT(netmgmt_init, APPLICATION, 0);

/* ---------------------------------------------------------------- helpers */

/* The interface at ifindex idx, or NULL after answering ERR ENODEV naming field. */
static struct net_if *iface_or_answer(struct nb_req *req, uint64_t idx, uint32_t field)
{
	struct net_if *iface = idx > 0 && idx <= INT_MAX ? net_if_get_by_index((int)idx) : NULL;

	if (iface == NULL) {
		char why[48];

		snprintk(why, sizeof(why), "ifindex %llu: no such interface", (unsigned long long)idx);
		(void)nb_reply_err(req, ENODEV, why, field);
	}
	return iface;
}

/* Answers a Zephyr call's result: RSP {} on success, else ERR with its errno and what failed. */
static void answer_result(struct nb_req *req, int ret, const char *what, uint32_t ifindex)
{
	char why[64];

	if (ret >= 0) {
		(void)nb_reply_empty(req);
		return;
	}
	snprintk(why, sizeof(why), "ifindex %u: %s", ifindex, what);
	(void)nb_reply_err(req, -ret, why, 0);
}

/* ---------------------------------------------------------------- EVT_SUBSCRIBE */

static void handle_evt_subscribe(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_ANY, .required = true},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	uint64_t masks[MAX_SUBS];
	size_t count;

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	int err = nb_evt_decode_masks(v[0].s.ptr, v[0].s.len, masks, MAX_SUBS, &count);

	if (err == -ENOSPC) {
		char why[64];

		snprintk(why, sizeof(why), "%u masks; the board keeps at most %u", (unsigned)count,
			 (unsigned)MAX_SUBS);
		(void)nb_reply_err(req, ENOSPC, why, 1);
		return;
	}
	if (err != 0) {
		(void)nb_reply_err(req, EINVAL, "key 1: not an array of uint masks", 1);
		return;
	}

	/* count <= MAX_SUBS here: nb_evt_decode_masks said so. */
	(void)nb_subs_set(masks, count);
	LOG_DBG("subscribed to %u masks (%u callbacks)", (unsigned)count,
		(unsigned)nb_subs_registered());
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(evt_subscribe, NB_OP_EVT_SUBSCRIBE, 0, handle_evt_subscribe);

/* ---------------------------------------------------------------- IFACE_DUMP */

static K_MUTEX_DEFINE(dump_lock);
static struct nb_iface_facts dump_facts; /* under dump_lock: too large for a worker's stack */

struct dump_state {
	struct nb_req *req;
	uint32_t only;  /* 0: every interface */
	uint32_t count; /* items sent */
	int err;        /* first failure: the dump stops */
	uint32_t failed_index;
};

static void dump_one(struct net_if *iface, void *user_data)
{
	struct dump_state *d = user_data;
	struct nb_out o;
	size_t len;

	if (d->err != 0 || (d->only != 0 && (uint32_t)net_if_get_by_iface(iface) != d->only)) {
		return;
	}
	nb_iface_gather(iface, &dump_facts);
	d->err = nb_out_begin(&o, d->req, NB_KIND_ITEM);
	if (d->err != 0) {
		return;
	}
	/* Encode against the peer's MTU: an item that does not fit ends the dump with an ERR. */
	if (nb_iface_encode_item(o.msg->data, MIN(nb_peer_mtu(), o.msg->cap), d->req->msg.id,
				 &dump_facts, &len) != 0) {
		nb_out_abort(&o);
		d->err = -EMSGSIZE;
		d->failed_index = dump_facts.index;
		return;
	}
	d->err = nb_out_send_encoded(&o, len);
	if (d->err == 0) {
		d->count++;
	}
}

static void handle_iface_dump(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .max = UINT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct dump_state d = {.req = req};

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (v[0].present) {
		if (iface_or_answer(req, v[0].u, 1) == NULL) {
			return;
		}
		d.only = (uint32_t)v[0].u;
	}

	k_mutex_lock(&dump_lock, K_FOREVER);
	atomic_val_t gen = atomic_get(&generation);

	net_if_foreach(dump_one, &d);
	bool interrupted = atomic_get(&generation) != gen;

	k_mutex_unlock(&dump_lock);

	if (d.err == -EMSGSIZE) {
		char why[64];

		snprintk(why, sizeof(why), "ifindex %u: item larger than the MTU (%u bytes)",
			 d.failed_index, nb_peer_mtu());
		(void)nb_reply_err(req, EMSGSIZE, why, 0);
	} else if (d.err == -ENOBUFS) {
		(void)nb_reply_err(req, ENOBUFS, "no transmit buffer for the next item", 0);
	} else if (d.err == 0) {
		(void)nb_reply_done(req, d.count, interrupted);
	}
	/* -ESTALE: the link was reset, nobody waits for the rest. */
}
NB_OP_DEFINE(iface_dump, NB_OP_IFACE_DUMP, 0, handle_iface_dump);

/* ---------------------------------------------------------------- IFACE_UP / IFACE_DOWN, DHCP */

static const struct nb_field iface_req_fields[] = {
	{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
};

/* Decodes iface-req; NULL after answering. */
static struct net_if *decode_iface_req(struct nb_req *req, uint32_t *ifindex)
{
	struct nb_value v[ARRAY_SIZE(iface_req_fields)];

	if (nb_req_decode(req, iface_req_fields, v, ARRAY_SIZE(v)) != 0) {
		return NULL;
	}
	*ifindex = (uint32_t)v[0].u;
	return iface_or_answer(req, v[0].u, 1);
}

static void handle_iface_up(struct nb_req *req)
{
	uint32_t idx;
	struct net_if *iface = decode_iface_req(req, &idx);

	if (iface != NULL) {
		answer_result(req, net_if_up(iface), "net_if_up", idx);
	}
}
NB_OP_DEFINE(iface_up, NB_OP_IFACE_UP, 0, handle_iface_up);

static void handle_iface_down(struct nb_req *req)
{
	uint32_t idx;
	struct net_if *iface = decode_iface_req(req, &idx);

	if (iface != NULL) {
		answer_result(req, net_if_down(iface), "net_if_down", idx);
	}
}
NB_OP_DEFINE(iface_down, NB_OP_IFACE_DOWN, 0, handle_iface_down);

static void handle_dhcpv4(struct nb_req *req, bool start)
{
	uint32_t idx;
	struct net_if *iface = decode_iface_req(req, &idx);

	if (iface == NULL) {
		return;
	}
#if defined(CONFIG_NET_DHCPV4)
	if (start) {
		net_dhcpv4_start(iface);
	} else {
		net_dhcpv4_stop(iface);
	}
	(void)nb_reply_empty(req);
#else
	ARG_UNUSED(start);
	(void)nb_reply_err(req, EOPNOTSUPP, "the board has no DHCPv4 client", 0);
#endif
}

static void handle_dhcpv4_start(struct nb_req *req)
{
	handle_dhcpv4(req, true);
}
NB_OP_DEFINE(dhcpv4_start, NB_OP_DHCPV4_START, 0, handle_dhcpv4_start);

static void handle_dhcpv4_stop(struct nb_req *req)
{
	handle_dhcpv4(req, false);
}
NB_OP_DEFINE(dhcpv4_stop, NB_OP_DHCPV4_STOP, 0, handle_dhcpv4_stop);

/* ---------------------------------------------------------------- ADDR_ADD / ADDR_DEL */

static const struct nb_field addr_req_fields[] = {
	{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
	{.key = 2, .type = NB_FIELD_BSTR, .required = true, .min = 4, .max = 16},
	{.key = 3, .type = NB_FIELD_UINT, .max = 128},
	{.key = 4, .type = NB_FIELD_UINT, .max = UINT32_MAX},
};

struct addr_req {
	struct net_if *iface;
	uint32_t ifindex;
	uint8_t family;
	union {
		struct in_addr in;
		struct in6_addr in6;
	};
	bool has_prefix;
	uint8_t prefix;
	uint32_t lifetime; /* 0: infinite */
	char text[NET_IPV6_ADDR_LEN];
};

/* Decodes and checks addr-req; false after answering. */
static bool decode_addr_req(struct nb_req *req, struct addr_req *a)
{
	struct nb_value v[ARRAY_SIZE(addr_req_fields)];

	if (nb_req_decode(req, addr_req_fields, v, ARRAY_SIZE(v)) != 0) {
		return false;
	}
	if (v[1].s.len != 4 && v[1].s.len != 16) {
		(void)nb_reply_err(req, EINVAL, "key 2: an address is 4 or 16 bytes", 2);
		return false;
	}
	a->family = v[1].s.len == 4 ? 4 : 6;
	memcpy(a->family == 4 ? (void *)&a->in : (void *)&a->in6, v[1].s.ptr, v[1].s.len);
	a->has_prefix = v[2].present;
	a->prefix = v[2].present ? (uint8_t)v[2].u : (a->family == 4 ? 24 : 64);
	if (a->family == 4 && a->prefix > 32) {
		(void)nb_reply_err(req, EINVAL, "key 3: an IPv4 prefix is at most 32", 3);
		return false;
	}
	a->lifetime = v[3].present ? (uint32_t)v[3].u : 0;
	net_addr_ntop(a->family == 4 ? AF_INET : AF_INET6, &a->in, a->text, sizeof(a->text));
	a->ifindex = (uint32_t)v[0].u;
	a->iface = iface_or_answer(req, v[0].u, 1);
	return a->iface != NULL;
}

/* ERR when the interface has no configuration for the family (answered: true). */
static bool family_unsupported(struct nb_req *req, const struct addr_req *a)
{
	int ret = -EAFNOSUPPORT;
	char why[64];

#if defined(CONFIG_NET_IPV4)
	if (a->family == 4) {
		ret = net_if_config_ipv4_get(a->iface, NULL);
	}
#endif
#if defined(CONFIG_NET_IPV6)
	if (a->family == 6) {
		ret = net_if_config_ipv6_get(a->iface, NULL);
	}
#endif
	if (ret >= 0) {
		return false;
	}
	snprintk(why, sizeof(why), "ifindex %u: no IPv%u on this interface", a->ifindex, a->family);
	(void)nb_reply_err(req, -ret, why, 2);
	return true;
}

static void handle_addr_add(struct nb_req *req)
{
	struct addr_req a;
	struct net_if_addr *ifaddr = NULL;
	char why[96];

	if (!decode_addr_req(req, &a) || family_unsupported(req, &a)) {
		return;
	}
#if defined(CONFIG_NET_IPV4)
	if (a.family == 4) {
		struct in_addr mask = {.s_addr = htonl(a.prefix == 0 ? 0 : UINT32_MAX << (32 - a.prefix))};

		ifaddr = net_if_ipv4_addr_add(a.iface, &a.in, NET_ADDR_MANUAL, a.lifetime);
		if (ifaddr != NULL) {
			(void)net_if_ipv4_set_netmask_by_addr(a.iface, &a.in, &mask);
		}
	}
#endif
#if defined(CONFIG_NET_IPV6)
	if (a.family == 6) {
		ifaddr = net_if_ipv6_addr_add(a.iface, &a.in6, NET_ADDR_MANUAL, a.lifetime);
		/* The prefix makes the subnet on-link, as `ip addr add X/len` does. */
		if (ifaddr != NULL && a.prefix < 128) {
			struct in6_addr prefix;

			net_ipv6_addr_prefix_mask(a.in6.s6_addr, prefix.s6_addr, a.prefix);
			if (net_if_ipv6_prefix_add(a.iface, &prefix, a.prefix, UINT32_MAX) == NULL) {
				LOG_WRN("no room for prefix %s/%u", a.text, a.prefix);
			}
		}
	}
#endif
	if (ifaddr == NULL) {
		snprintk(why, sizeof(why), "ifindex %u: no free IPv%u address slot for %s",
			 a.ifindex, a.family, a.text);
		(void)nb_reply_err(req, ENOSPC, why, 2);
		return;
	}
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(addr_add, NB_OP_ADDR_ADD, 0, handle_addr_add);

static void handle_addr_del(struct nb_req *req)
{
	struct addr_req a;
	bool removed = false;
	char why[96];

	if (!decode_addr_req(req, &a) || family_unsupported(req, &a)) {
		return;
	}
#if defined(CONFIG_NET_IPV4)
	if (a.family == 4) {
		struct net_if *owner = NULL;

		/* net_if_ipv4_addr_rm() also says true for an address it does not have. */
		removed = net_if_ipv4_addr_lookup(&a.in, &owner) != NULL && owner == a.iface &&
			  net_if_ipv4_addr_rm(a.iface, &a.in);
	}
#endif
#if defined(CONFIG_NET_IPV6)
	if (a.family == 6) {
		removed = net_if_ipv6_addr_lookup_by_iface(a.iface, &a.in6) != NULL &&
			  net_if_ipv6_addr_rm(a.iface, &a.in6);
	}
#endif
	if (!removed) {
		snprintk(why, sizeof(why), "ifindex %u: %s is not an address of it", a.ifindex,
			 a.text);
		(void)nb_reply_err(req, EADDRNOTAVAIL, why, 2);
		return;
	}
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(addr_del, NB_OP_ADDR_DEL, 0, handle_addr_del);

/* ---------------------------------------------------------------- HOSTNAME_SET */

static void handle_hostname_set(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_TSTR, .required = true, .min = 1, .max = 255},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	char name[NET_HOSTNAME_SIZE + 1];
	char why[48];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (v[0].s.len >= sizeof(name)) {
		snprintk(why, sizeof(why), "key 1: longer than %u bytes", (unsigned)NET_HOSTNAME_MAX_LEN);
		(void)nb_reply_err(req, ENOMEM, why, 1);
		return;
	}
	if (memchr(v[0].s.ptr, '\0', v[0].s.len) != NULL) {
		(void)nb_reply_err(req, EINVAL, "key 1: contains NUL", 1);
		return;
	}
	memcpy(name, v[0].s.ptr, v[0].s.len);
	name[v[0].s.len] = '\0';

	int ret = net_hostname_set(name, v[0].s.len);

	if (ret < 0) {
		snprintk(why, sizeof(why), ret == -ENOMEM ? "key 1: longer than %u bytes"
							  : "net_hostname_set failed (max %u)",
			 (unsigned)NET_HOSTNAME_MAX_LEN);
		(void)nb_reply_err(req, -ret, why, 1);
		return;
	}
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(hostname_set, NB_OP_HOSTNAME_SET, 0, handle_hostname_set);

/* ---------------------------------------------------------------- NET_MGMT (generic) */

/* Zephyr binds request codes to handlers at link time (net_mgmt_<NAME> symbols), so the requests
 * the host may call are the ones this board build registers, listed here. */
struct nb_mgmt_request {
	uint64_t code;
	net_mgmt_request_handler_t handler;
};

#define NB_REQUEST(name) {name, net_mgmt_##name}

static const struct nb_mgmt_request mgmt_requests[] = {
#if defined(CONFIG_NET_STATISTICS_USER_API)
	NB_REQUEST(NET_REQUEST_STATS_GET_ALL),
	NB_REQUEST(NET_REQUEST_STATS_GET_PROCESSING_ERROR),
	NB_REQUEST(NET_REQUEST_STATS_GET_BYTES),
	NB_REQUEST(NET_REQUEST_STATS_GET_IP_ERRORS),
#if defined(CONFIG_NET_STATISTICS_IPV4)
	NB_REQUEST(NET_REQUEST_STATS_GET_IPV4),
#endif
#if defined(CONFIG_NET_STATISTICS_IPV6)
	NB_REQUEST(NET_REQUEST_STATS_GET_IPV6),
#endif
#if defined(CONFIG_NET_STATISTICS_ICMP)
	NB_REQUEST(NET_REQUEST_STATS_GET_ICMP),
#endif
#if defined(CONFIG_NET_STATISTICS_UDP)
	NB_REQUEST(NET_REQUEST_STATS_GET_UDP),
#endif
#if defined(CONFIG_NET_STATISTICS_TCP)
	NB_REQUEST(NET_REQUEST_STATS_GET_TCP),
#endif
#endif /* CONFIG_NET_STATISTICS_USER_API */
#if defined(CONFIG_NET_L2_ETHERNET_MGMT)
	NB_REQUEST(NET_REQUEST_ETHERNET_SET_MAC_ADDRESS),
	NB_REQUEST(NET_REQUEST_ETHERNET_SET_PROMISC_MODE),
	NB_REQUEST(NET_REQUEST_ETHERNET_GET_PRIORITY_QUEUES_NUM),
	NB_REQUEST(NET_REQUEST_ETHERNET_GET_PORTS_NUM),
#endif
	{0, NULL}, /* keeps the table non-empty on lean builds */
};

static K_MUTEX_DEFINE(mgmt_data_lock);
static uint8_t mgmt_data[CONFIG_NETBRIDGE_EVENTS_REQUEST_DATA_MAX]; /* under mgmt_data_lock */

static void handle_net_mgmt(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
		{.key = 3, .type = NB_FIELD_BSTR, .max = CONFIG_NETBRIDGE_EVENTS_REQUEST_DATA_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	const struct nb_mgmt_request *r = NULL;
	struct net_if *iface = NULL;
	char why[64];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(mgmt_requests) && mgmt_requests[i].handler != NULL;
	     i++) {
		if (mgmt_requests[i].code == v[0].u) {
			r = &mgmt_requests[i];
			break;
		}
	}
	if (r == NULL) {
		snprintk(why, sizeof(why), "request 0x%016llx is not registered on this board",
			 (unsigned long long)v[0].u);
		(void)nb_reply_err(req, EOPNOTSUPP, why, 1);
		return;
	}
	if (v[1].u != 0 && (iface = iface_or_answer(req, v[1].u, 2)) == NULL) {
		return;
	}

	size_t len = v[2].present ? v[2].s.len : 0;

	k_mutex_lock(&mgmt_data_lock, K_FOREVER);
	if (len > 0) {
		memcpy(mgmt_data, v[2].s.ptr, len);
	}
	int ret = r->handler(v[0].u, iface, len > 0 ? mgmt_data : NULL, len);

	if (ret < 0) {
		k_mutex_unlock(&mgmt_data_lock);
		snprintk(why, sizeof(why), "request 0x%016llx failed", (unsigned long long)v[0].u);
		(void)nb_reply_err(req, -ret, why, 0);
		return;
	}

	struct nb_out o;

	/* The handler may have filled the data in: it goes back as it is (the request's struct). */
	if (nb_out_begin(&o, req, NB_KIND_RSP) == 0) {
		if (len > 0 && !nb_enc_bstr(nb_out_enc(&o), 1, mgmt_data, len)) {
			nb_out_abort(&o);
			k_mutex_unlock(&mgmt_data_lock);
			(void)nb_reply_err(req, EMSGSIZE, "request data larger than the MTU", 3);
			return;
		}
		(void)nb_out_send(&o);
	}
	k_mutex_unlock(&mgmt_data_lock);
}
NB_OP_DEFINE(net_mgmt, NB_OP_NET_MGMT, 0, handle_net_mgmt);
