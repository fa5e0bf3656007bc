/* IFACE_DUMP items: see nb_netmgmt_iface.h. */
#include "nb_netmgmt_iface.h"

#include <errno.h>
#include <string.h>
#include <zcbor_encode.h>
#include <zephyr/kernel.h>
#include <zephyr/net/hostname.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/net_l2.h>
#include <zephyr/net/net_timeout.h>
#if defined(CONFIG_NET_DHCPV4)
#include <zephyr/net/dhcpv4.h>
#endif
#if defined(CONFIG_DNS_RESOLVER)
#include <zephyr/net/dns_resolve.h>
#endif

#include "nb_netmgmt_event.h"
#include "nb_proto.h"

/* How long a dump waits for the DNS resolver's lock before leaving the servers out. */
#define NB_DNS_LOCK_WAIT_MS 100

uint8_t nb_iface_origin(enum net_addr_type type)
{
	switch (type) {
	case NET_ADDR_AUTOCONF:
		return NB_ORIGIN_AUTOCONF;
	case NET_ADDR_DHCP:
		return NB_ORIGIN_DHCP;
	case NET_ADDR_OVERRIDABLE:
		return NB_ORIGIN_OVERRIDABLE;
	default:
		return NB_ORIGIN_MANUAL;
	}
}

static const char *l2_name(struct net_if *iface)
{
	const struct net_l2 *l2 = net_if_l2(iface);

	if (l2 == NULL) {
		return "UNKNOWN"; /* offloaded */
	}
#if defined(CONFIG_NET_L2_ETHERNET)
	if (l2 == &NET_L2_GET_NAME(ETHERNET)) {
		return "ETHERNET";
	}
#endif
#if defined(CONFIG_NET_L2_DUMMY)
	if (l2 == &NET_L2_GET_NAME(DUMMY)) {
		return "DUMMY";
	}
#endif
#if defined(CONFIG_NET_L2_VIRTUAL)
	if (l2 == &NET_L2_GET_NAME(VIRTUAL)) {
		return "VIRTUAL";
	}
#endif
#if defined(CONFIG_NET_L2_PPP)
	if (l2 == &NET_L2_GET_NAME(PPP)) {
		return "PPP";
	}
#endif
#if defined(CONFIG_NET_L2_OPENTHREAD)
	if (l2 == &NET_L2_GET_NAME(OPENTHREAD)) {
		return "OPENTHREAD";
	}
#endif
	return "UNKNOWN";
}

static bool is_loopback(struct net_if *iface)
{
	const struct device *dev = net_if_get_device(iface);

	/* drivers/net/loopback.c names its device "lo". */
	return IS_ENABLED(CONFIG_NET_LOOPBACK) && dev != NULL && strcmp(dev->name, "lo") == 0;
}

static uint32_t iface_flags(struct net_if *iface)
{
	uint32_t f = 0;

	f |= net_if_is_admin_up(iface) ? BIT(NB_IFF_ADMIN_UP) : 0;
	f |= net_if_oper_state(iface) == NET_IF_OPER_UP ? BIT(NB_IFF_OPER_UP) : 0;
	f |= is_loopback(iface) ? BIT(NB_IFF_LOOPBACK) : 0;
	f |= net_if_flag_is_set(iface, NET_IF_IPV4) ? BIT(NB_IFF_IPV4) : 0;
	f |= net_if_flag_is_set(iface, NET_IF_IPV6) ? BIT(NB_IFF_IPV6) : 0;
	f |= net_if_flag_is_set(iface, NET_IF_POINTOPOINT) ? BIT(NB_IFF_POINTOPOINT) : 0;
	f |= net_if_flag_is_set(iface, NET_IF_PROMISC) ? BIT(NB_IFF_PROMISC) : 0;
	f |= net_if_flag_is_set(iface, NET_IF_NO_AUTO_START) ? BIT(NB_IFF_NO_AUTO_START) : 0;
#if defined(CONFIG_NET_DHCPV4)
	f |= iface->config.dhcpv4.state != NET_DHCPV4_DISABLED ? BIT(NB_IFF_DHCPV4) : 0;
#endif
	return f;
}

#if defined(CONFIG_NET_DHCPV4)
/* Seconds left of the DHCPv4 lease. Exact while BOUND (the client's timer started at the ACK);
 * while renewing or rebinding at most lease - T1 remain, which is what is reported. */
static uint32_t dhcpv4_remaining(struct net_if *iface)
{
	const struct net_if_dhcpv4 *d = &iface->config.dhcpv4;
	int64_t elapsed_s;

	if (d->state == NET_DHCPV4_BOUND) {
		elapsed_s = (k_uptime_get() - d->timer_start) / MSEC_PER_SEC;
		return elapsed_s >= d->lease_time ? 0 : d->lease_time - (uint32_t)elapsed_s;
	}
	return d->lease_time > d->renewal_time ? d->lease_time - d->renewal_time : 0;
}
#endif

static void add_ipv4(struct net_if *iface, struct net_if_addr *a, void *user_data)
{
	struct nb_iface_facts *f = user_data;

	if (f->n_addrs >= ARRAY_SIZE(f->addrs)) {
		return;
	}
	struct nb_if_addr *o = &f->addrs[f->n_addrs++];
	struct in_addr mask = net_if_ipv4_get_netmask_by_addr(iface, &a->address.in_addr);
	int prefix = nb_evt_netmask_prefix(mask.s4_addr);

	o->family = 4;
	memcpy(o->addr, &a->address.in_addr, 4);
	o->prefix_len = prefix < 0 ? 32 : (uint8_t)prefix;
	o->state = (uint8_t)a->addr_state;
	o->origin = nb_iface_origin(a->addr_type);
	o->finite = false;
#if defined(CONFIG_NET_DHCPV4)
	if (a->addr_type == NET_ADDR_DHCP) {
		o->finite = true;
		o->lifetime = dhcpv4_remaining(iface);
	}
#endif
}

static void add_ipv6(struct net_if *iface, struct net_if_addr *a, void *user_data)
{
	struct nb_iface_facts *f = user_data;

	if (f->n_addrs >= ARRAY_SIZE(f->addrs)) {
		return;
	}
	struct nb_if_addr *o = &f->addrs[f->n_addrs++];

	o->family = 6;
	memcpy(o->addr, &a->address.in6_addr, 16);
	/* Zephyr keeps on-link prefixes apart from addresses; link-local ones are always /64. */
	o->prefix_len = net_ipv6_is_ll_addr(&a->address.in6_addr) ? 64 : 128;
#if defined(CONFIG_NET_IPV6)
	struct net_if_ipv6_prefix *p = net_if_ipv6_prefix_get(iface, &a->address.in6_addr);

	if (p != NULL) {
		o->prefix_len = p->len;
	}
#endif
	o->state = (uint8_t)a->addr_state;
	o->origin = nb_iface_origin(a->addr_type);
	o->finite = false;
#if defined(CONFIG_NET_NATIVE_IPV6)
	if (!a->is_infinite) {
		o->finite = true;
		o->lifetime = net_timeout_remaining(&a->lifetime, k_uptime_get_32());
	}
#endif
}

static void add_dns_servers(struct nb_iface_facts *f)
{
#if defined(CONFIG_DNS_RESOLVER)
	struct dns_resolve_context *ctx = dns_resolve_get_default();

	if (ctx == NULL || k_mutex_lock(&ctx->lock, K_MSEC(NB_DNS_LOCK_WAIT_MS)) != 0) {
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctx->servers) && f->n_dns < ARRAY_SIZE(f->dns); i++) {
		const struct dns_server *s = &ctx->servers[i];
		const struct sockaddr *sa = &s->dns_server;
		struct nb_dns_server *o = &f->dns[f->n_dns];

		/* Unicast servers of this interface, and those any interface may use. */
		if (s->is_mdns || s->is_llmnr || (s->if_index != 0 && s->if_index != f->index)) {
			continue;
		}
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *in = net_sin(sa);

			memcpy(o->addr, &in->sin_addr, 4);
			o->port = ntohs(in->sin_port);
			o->scope_id = 0;
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = net_sin6(sa);

			memcpy(o->addr, &in6->sin6_addr, 16);
			o->port = ntohs(in6->sin6_port);
			o->scope_id = in6->sin6_scope_id;
		} else {
			continue;
		}
		o->family = (uint8_t)sa->sa_family;
		f->n_dns++;
	}
	k_mutex_unlock(&ctx->lock);
#else
	ARG_UNUSED(f);
#endif
}

void nb_iface_gather(struct net_if *iface, struct nb_iface_facts *f)
{
	const struct net_linkaddr *ll = net_if_get_link_addr(iface);

	memset(f, 0, sizeof(*f));
	f->index = (uint32_t)net_if_get_by_iface(iface);
	if (net_if_get_name(iface, f->name, sizeof(f->name)) < 0) {
		snprintk(f->name, sizeof(f->name), "if%u", f->index);
	}
	f->l2 = l2_name(iface);
	f->mtu = net_if_get_mtu(iface);
	f->flags = iface_flags(iface);
	if (ll != NULL) {
		f->lladdr_len = MIN(ll->len, sizeof(f->lladdr));
		memcpy(f->lladdr, ll->addr, f->lladdr_len);
	}
#if defined(CONFIG_NET_IPV4)
	net_if_ipv4_addr_foreach(iface, add_ipv4, f);
#endif
#if defined(CONFIG_NET_IPV6)
	net_if_ipv6_addr_foreach(iface, add_ipv6, f);
#endif
	add_dns_servers(f);
	f->hostname = IS_ENABLED(CONFIG_NET_HOSTNAME_ENABLE) ? net_hostname_get() : "";
}

static bool encode_addr(struct nb_enc *e, const struct nb_if_addr *a)
{
	return zcbor_map_start_encode(nb_enc_state(e), 255) && nb_enc_uint(e, 1, a->family) &&
	       nb_enc_bstr(e, 2, a->addr, a->family == 4 ? 4 : 16) &&
	       nb_enc_uint(e, 3, a->prefix_len) && nb_enc_uint(e, 4, a->state) &&
	       nb_enc_uint(e, 5, a->origin) && (!a->finite || nb_enc_uint(e, 6, a->lifetime)) &&
	       nb_enc_map_end(e);
}

static bool encode_dns(struct nb_enc *e, const struct nb_dns_server *s)
{
	return zcbor_map_start_encode(nb_enc_state(e), 255) && nb_enc_uint(e, 1, s->family) &&
	       nb_enc_bstr(e, 2, s->addr, s->family == AF_INET ? 4 : 16) &&
	       nb_enc_uint(e, 3, s->port) && (s->scope_id == 0 || nb_enc_uint(e, 4, s->scope_id)) &&
	       nb_enc_map_end(e);
}

bool nb_iface_encode_body(struct nb_enc *e, const struct nb_iface_facts *f)
{
	bool ok = nb_enc_uint(e, 1, f->index) && nb_enc_tstr(e, 2, f->name) &&
		  nb_enc_tstr(e, 3, f->l2) && nb_enc_uint(e, 4, f->mtu) &&
		  nb_enc_uint(e, 5, f->flags) && nb_enc_bstr(e, 6, f->lladdr, f->lladdr_len) &&
		  nb_enc_list_start(e, 7);

	for (size_t i = 0; ok && i < f->n_addrs; i++) {
		ok = encode_addr(e, &f->addrs[i]);
	}
	ok = ok && nb_enc_list_end(e) && nb_enc_list_start(e, 8);
	for (size_t i = 0; ok && i < f->n_dns; i++) {
		ok = encode_dns(e, &f->dns[i]);
	}
	return ok && nb_enc_list_end(e) && nb_enc_tstr(e, 9, f->hostname);
}

int nb_iface_encode_item(uint8_t *buf, size_t cap, uint32_t id, const struct nb_iface_facts *f,
			 size_t *len)
{
	struct nb_enc e;

	return nb_enc_begin(&e, buf, cap, NB_KIND_ITEM, NB_OP_IFACE_DUMP, id) &&
			       nb_iface_encode_body(&e, f) && nb_enc_end(&e, len)
		       ? 0
		       : -ENOMEM;
}
