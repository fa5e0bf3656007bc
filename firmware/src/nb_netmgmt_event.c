/* net_mgmt events on the wire: see nb_netmgmt_event.h. */
#include "nb_netmgmt_event.h"

#include <errno.h>
#include <string.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/net_mgmt.h>
#include <zephyr/sys/byteorder.h>
#if defined(CONFIG_NET_L2_ETHERNET)
#include <zephyr/net/ethernet_mgmt.h>
#endif

#include <zcbor_decode.h>

#include "nb_proto.h"

/* Fields are read with memcpy at their offsets: net_mgmt's queue copies info into a byte array
 * whose alignment need not suit the struct. */
#define INFO_AT(info, type, field) ((const uint8_t *)(info) + offsetof(type, field))

static void put_key(struct nb_evt *ev, enum nb_evt_info_key k)
{
	ev->keys |= BIT(k);
}

static void set_addr(struct nb_evt *ev, uint8_t family, const void *src)
{
	ev->family = family;
	memcpy(ev->addr, src, family == 4 ? 4 : 16);
	put_key(ev, NB_EVI_FAMILY);
	put_key(ev, NB_EVI_ADDR);
}

int nb_evt_netmask_prefix(const uint8_t mask[4])
{
	uint32_t m = sys_get_be32(mask);
	int n = 0;

	while (n < 32 && (m & BIT(31 - n))) {
		n++;
	}
	/* Bits after the first zero must all be zero. */
	return (n == 32 || (m & (uint32_t)(BIT64(32 - n) - 1)) == 0) ? n : -1;
}

/* Events whose info is a bare struct in_addr. IPV4_ROUTER_DEL passes sizeof(struct in6_addr) for
 * it (net_if.c), so only a lower bound is checked. */
static bool is_ipv4_addr_event(uint64_t code)
{
	switch (code) {
	case NET_EVENT_IPV4_ADDR_ADD:
	case NET_EVENT_IPV4_ADDR_DEL:
	case NET_EVENT_IPV4_MADDR_ADD:
	case NET_EVENT_IPV4_MADDR_DEL:
	case NET_EVENT_IPV4_ROUTER_ADD:
	case NET_EVENT_IPV4_ROUTER_DEL:
	case NET_EVENT_IPV4_MCAST_JOIN:
	case NET_EVENT_IPV4_MCAST_LEAVE:
	case NET_EVENT_IPV4_ACD_SUCCEED:
	case NET_EVENT_IPV4_ACD_FAILED:
	case NET_EVENT_IPV4_ACD_CONFLICT:
		return true;
	default:
		return false;
	}
}

/* Events whose info is a bare struct in6_addr. */
static bool is_ipv6_addr_event(uint64_t code)
{
	switch (code) {
	case NET_EVENT_IPV6_ADDR_ADD:
	case NET_EVENT_IPV6_ADDR_DEL:
	case NET_EVENT_IPV6_MADDR_ADD:
	case NET_EVENT_IPV6_MADDR_DEL:
	case NET_EVENT_IPV6_MCAST_JOIN:
	case NET_EVENT_IPV6_MCAST_LEAVE:
	case NET_EVENT_IPV6_ROUTER_ADD:
	case NET_EVENT_IPV6_ROUTER_DEL:
	case NET_EVENT_IPV6_DAD_SUCCEED:
	case NET_EVENT_IPV6_DAD_FAILED:
	case NET_EVENT_IPV6_ADDR_DEPRECATED:
		return true;
	default:
		return false;
	}
}

#if defined(CONFIG_NET_DHCPV4)
/* NET_EVENT_IPV4_DHCP_BOUND carries the interface's whole DHCPv4 client state: the lease facts. */
static bool decode_dhcpv4_bound(const void *info, size_t len, struct nb_evt *ev)
{
	uint32_t lease;
	enum net_dhcpv4_state state;

	if (len != sizeof(struct net_if_dhcpv4)) {
		return false;
	}
	set_addr(ev, 4, INFO_AT(info, struct net_if_dhcpv4, requested_ip));
	memcpy(&lease, INFO_AT(info, struct net_if_dhcpv4, lease_time), sizeof(lease));
	ev->lifetime = lease;
	put_key(ev, NB_EVI_LIFETIME);
	memcpy(ev->netmask, INFO_AT(info, struct net_if_dhcpv4, netmask), 4);
	put_key(ev, NB_EVI_NETMASK);
	int prefix = nb_evt_netmask_prefix(ev->netmask);

	if (prefix >= 0) {
		ev->prefix_len = (uint8_t)prefix;
		put_key(ev, NB_EVI_PREFIX_LEN);
	}
	memcpy(ev->server, INFO_AT(info, struct net_if_dhcpv4, server_id), 4);
	put_key(ev, NB_EVI_SERVER);
	memcpy(&state, INFO_AT(info, struct net_if_dhcpv4, state), sizeof(state));
	ev->state = (int32_t)state;
	put_key(ev, NB_EVI_STATE);
	return true;
}
#endif

static bool decode_sockaddr(const void *info, size_t len, struct nb_evt *ev)
{
	sa_family_t family;
	uint16_t port;

	if (len < sizeof(sa_family_t)) {
		return false;
	}
	memcpy(&family, INFO_AT(info, struct sockaddr, sa_family), sizeof(family));
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		set_addr(ev, 4, INFO_AT(info, struct sockaddr_in, sin_addr));
		memcpy(&port, INFO_AT(info, struct sockaddr_in, sin_port), sizeof(port));
	} else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		set_addr(ev, 6, INFO_AT(info, struct sockaddr_in6, sin6_addr));
		memcpy(&port, INFO_AT(info, struct sockaddr_in6, sin6_port), sizeof(port));
	} else {
		return false;
	}
	ev->port = ntohs(port);
	put_key(ev, NB_EVI_PORT);
	return true;
}

/* Decodes the events Zephyr raises with a known info type; false leaves them undecoded. */
static bool decode_known(uint64_t code, const void *info, size_t len, struct nb_evt *ev)
{
	if (is_ipv4_addr_event(code)) {
		if (len < sizeof(struct in_addr)) {
			return false;
		}
		set_addr(ev, 4, info);
		return true;
	}
	if (is_ipv6_addr_event(code)) {
		if (len != sizeof(struct in6_addr)) {
			return false;
		}
		set_addr(ev, 6, info);
		return true;
	}

	switch (code) {
	case NET_EVENT_IPV6_PREFIX_ADD:
	case NET_EVENT_IPV6_PREFIX_DEL: {
		uint32_t lifetime;

		if (len != sizeof(struct net_event_ipv6_prefix)) {
			return false;
		}
		set_addr(ev, 6, INFO_AT(info, struct net_event_ipv6_prefix, addr));
		ev->prefix_len = *INFO_AT(info, struct net_event_ipv6_prefix, len);
		put_key(ev, NB_EVI_PREFIX_LEN);
		memcpy(&lifetime, INFO_AT(info, struct net_event_ipv6_prefix, lifetime),
		       sizeof(lifetime));
		ev->lifetime = lifetime;
		put_key(ev, NB_EVI_LIFETIME);
		return true;
	}
	case NET_EVENT_IPV6_ROUTE_ADD:
	case NET_EVENT_IPV6_ROUTE_DEL:
		if (len != sizeof(struct net_event_ipv6_route)) {
			return false;
		}
		set_addr(ev, 6, INFO_AT(info, struct net_event_ipv6_route, addr));
		ev->prefix_len = *INFO_AT(info, struct net_event_ipv6_route, prefix_len);
		put_key(ev, NB_EVI_PREFIX_LEN);
		memcpy(ev->nexthop, INFO_AT(info, struct net_event_ipv6_route, nexthop), 16);
		put_key(ev, NB_EVI_NEXTHOP);
		return true;
	case NET_EVENT_IPV6_NBR_ADD:
	case NET_EVENT_IPV6_NBR_DEL: {
		int idx;

		if (len != sizeof(struct net_event_ipv6_nbr)) {
			return false;
		}
		set_addr(ev, 6, INFO_AT(info, struct net_event_ipv6_nbr, addr));
		memcpy(&idx, INFO_AT(info, struct net_event_ipv6_nbr, idx), sizeof(idx));
		if (idx >= 0) {
			ev->index = (uint32_t)idx;
			put_key(ev, NB_EVI_INDEX);
		}
		return true;
	}
	case NET_EVENT_IPV6_PE_FILTER_ADD:
	case NET_EVENT_IPV6_PE_FILTER_DEL:
		if (len != sizeof(struct net_event_ipv6_pe_filter)) {
			return false;
		}
		set_addr(ev, 6, INFO_AT(info, struct net_event_ipv6_pe_filter, prefix));
		/* state: 1 deny list, 0 allow list */
		ev->state = *INFO_AT(info, struct net_event_ipv6_pe_filter, is_deny_list) ? 1 : 0;
		put_key(ev, NB_EVI_STATE);
		return true;
	case NET_EVENT_IPV4_PMTU_CHANGED: {
		uint16_t mtu;

		if (len != sizeof(struct net_event_ipv4_pmtu_info)) {
			return false;
		}
		set_addr(ev, 4, INFO_AT(info, struct net_event_ipv4_pmtu_info, dst));
		memcpy(&mtu, INFO_AT(info, struct net_event_ipv4_pmtu_info, mtu), sizeof(mtu));
		ev->mtu = mtu;
		put_key(ev, NB_EVI_MTU);
		return true;
	}
	case NET_EVENT_IPV6_PMTU_CHANGED: {
		uint32_t mtu;

		if (len != sizeof(struct net_event_ipv6_pmtu_info)) {
			return false;
		}
		set_addr(ev, 6, INFO_AT(info, struct net_event_ipv6_pmtu_info, dst));
		memcpy(&mtu, INFO_AT(info, struct net_event_ipv6_pmtu_info, mtu), sizeof(mtu));
		ev->mtu = mtu;
		put_key(ev, NB_EVI_MTU);
		return true;
	}
#if defined(CONFIG_NET_DHCPV4)
	case NET_EVENT_IPV4_DHCP_BOUND:
		return decode_dhcpv4_bound(info, len, ev);
#endif
	case NET_EVENT_DNS_SERVER_ADD:
	case NET_EVENT_DNS_SERVER_DEL:
		return decode_sockaddr(info, len, ev);
	case NET_EVENT_HOSTNAME_CHANGED: {
		const char *name = (const char *)INFO_AT(info, struct net_event_l4_hostname, hostname);
		size_t n;

		if (len != sizeof(struct net_event_l4_hostname)) {
			return false;
		}
		n = strnlen(name, MIN(len, sizeof(ev->hostname) - 1));
		memcpy(ev->hostname, name, n);
		ev->hostname[n] = '\0';
		put_key(ev, NB_EVI_HOSTNAME);
		return true;
	}
#if defined(CONFIG_NET_L2_ETHERNET)
	case NET_EVENT_ETHERNET_VLAN_TAG_ENABLED:
	case NET_EVENT_ETHERNET_VLAN_TAG_DISABLED: {
		uint16_t tag; /* the VLAN tag travels as the secondary index */

		if (len != sizeof(tag)) {
			return false;
		}
		memcpy(&tag, info, sizeof(tag));
		ev->index = tag;
		put_key(ev, NB_EVI_INDEX);
		return true;
	}
#endif
	default:
		return false;
	}
}

void nb_evt_decode_info(uint64_t code, const void *info, size_t len, struct nb_evt *ev)
{
	ev->keys = 0;
	ev->info_size = 0;
	if (info == NULL || len == 0) {
		return;
	}
	if (!decode_known(code, info, len, ev)) {
		ev->keys = BIT(NB_EVI_INFO_SIZE);
		ev->info_size = (uint32_t)len;
	}
}

bool nb_evt_encode_body(struct nb_enc *e, const struct nb_evt *ev)
{
	const size_t alen = ev->family == 4 ? 4 : 16;
	bool ok = nb_enc_uint(e, 1, ev->code) && nb_enc_uint(e, 2, ev->ifindex) &&
		  nb_enc_uint(e, 3, ev->uptime_ms);

	if (!ok || ev->keys == 0) {
		return ok;
	}
	/* Keys in ascending order (canonical CBOR). */
	ok = nb_enc_map_start(e, 4) &&
	     (!nb_evt_has(ev, NB_EVI_FAMILY) || nb_enc_uint(e, NB_EVI_FAMILY, ev->family)) &&
	     (!nb_evt_has(ev, NB_EVI_ADDR) || nb_enc_bstr(e, NB_EVI_ADDR, ev->addr, alen)) &&
	     (!nb_evt_has(ev, NB_EVI_PREFIX_LEN) ||
	      nb_enc_uint(e, NB_EVI_PREFIX_LEN, ev->prefix_len)) &&
	     (!nb_evt_has(ev, NB_EVI_LIFETIME) || nb_enc_uint(e, NB_EVI_LIFETIME, ev->lifetime)) &&
	     (!nb_evt_has(ev, NB_EVI_HOSTNAME) || nb_enc_tstr(e, NB_EVI_HOSTNAME, ev->hostname)) &&
	     (!nb_evt_has(ev, NB_EVI_NEXTHOP) || nb_enc_bstr(e, NB_EVI_NEXTHOP, ev->nexthop, alen)) &&
	     (!nb_evt_has(ev, NB_EVI_NETMASK) || nb_enc_bstr(e, NB_EVI_NETMASK, ev->netmask, 4)) &&
	     (!nb_evt_has(ev, NB_EVI_SERVER) || nb_enc_bstr(e, NB_EVI_SERVER, ev->server, 4)) &&
	     (!nb_evt_has(ev, NB_EVI_MTU) || nb_enc_uint(e, NB_EVI_MTU, ev->mtu)) &&
	     (!nb_evt_has(ev, NB_EVI_PORT) || nb_enc_uint(e, NB_EVI_PORT, ev->port)) &&
	     (!nb_evt_has(ev, NB_EVI_STATE) || nb_enc_int(e, NB_EVI_STATE, ev->state)) &&
	     (!nb_evt_has(ev, NB_EVI_INFO_SIZE) ||
	      nb_enc_uint(e, NB_EVI_INFO_SIZE, ev->info_size)) &&
	     (!nb_evt_has(ev, NB_EVI_INDEX) || nb_enc_uint(e, NB_EVI_INDEX, ev->index)) &&
	     nb_enc_map_end(e);
	return ok;
}

int nb_evt_encode_ntf(uint8_t *buf, size_t cap, uint32_t seq, const struct nb_evt *ev, size_t *len)
{
	struct nb_enc e;

	return nb_enc_begin(&e, buf, cap, NB_KIND_NTF, NB_OP_EVENT, seq) &&
			       nb_evt_encode_body(&e, ev) && nb_enc_end(&e, len)
		       ? 0
		       : -ENOMEM;
}

int nb_evt_decode_masks(const uint8_t *item, size_t len, uint64_t *out, size_t max, size_t *count)
{
	ZCBOR_STATE_D(zs, 1, item, len, 1, 0);
	size_t n = 0;

	*count = 0;
	if (len == 0 || ZCBOR_MAJOR_TYPE(item[0]) != ZCBOR_MAJOR_TYPE_LIST ||
	    !zcbor_list_start_decode(zs)) {
		return -EINVAL;
	}
	while (!zcbor_array_at_end(zs)) {
		uint64_t mask;

		if (!zcbor_uint64_decode(zs, &mask)) {
			return -EINVAL;
		}
		if (n < max) {
			out[n] = mask;
		}
		n++;
	}
	if (!zcbor_list_end_decode(zs)) {
		return -EINVAL;
	}
	*count = n;
	return n > max ? -ENOSPC : 0;
}

bool nb_evt_mask_match(uint64_t mask, uint64_t event)
{
	uint64_t mc = NET_MGMT_GET_COMMAND(mask);
	uint64_t ec = NET_MGMT_GET_COMMAND(event);

	return NET_MGMT_GET_LAYER(mask) == NET_MGMT_GET_LAYER(event) &&
	       NET_MGMT_GET_LAYER_CODE(mask) == NET_MGMT_GET_LAYER_CODE(event) &&
	       (mc == 0 || ec == 0 || (mc & ec) != 0);
}

bool nb_evt_masks_match(const uint64_t *masks, size_t n, uint64_t event)
{
	for (size_t i = 0; i < n; i++) {
		if (nb_evt_mask_match(masks[i], event)) {
			return true;
		}
	}
	return false;
}
