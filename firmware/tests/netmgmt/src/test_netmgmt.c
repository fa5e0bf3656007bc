/*
 * net_mgmt encoders and filter: event-info decoding from Zephyr's info structs, EVENT and ITEM
 * encodings against the golden vectors, the exact mask filter, the EVT_SUBSCRIBE mask array, and a
 * snapshot of a live interface. The subscription itself: test_subs.c.
 */
#include <string.h>
#include <zcbor_decode.h>
#include <zcbor_encode.h>
#include <zephyr/net/dhcpv4.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/net_ip.h>
#include <zephyr/net/net_l2.h>
#include <zephyr/net/net_mgmt.h>
#include <zephyr/ztest.h>

#include "nb_netmgmt_event.h"
#include "nb_netmgmt_iface.h"
#include "vectors.h"

static const struct vec_valid *vector(const char *name)
{
	for (size_t i = 0; i < VEC_VALID_COUNT; i++) {
		if (strcmp(vec_valid[i].name, name) == 0) {
			return &vec_valid[i];
		}
	}
	zassert_unreachable("no golden vector named %s", name);
	return NULL;
}

static struct nb_evt decoded(uint64_t code, const void *info, size_t len)
{
	struct nb_evt ev;

	memset(&ev, 0xa5, sizeof(ev)); /* the decoder must not rely on a zeroed record */
	nb_evt_decode_info(code, info, len, &ev);
	return ev;
}

#define KEYS(...) (0 FOR_EACH(KEY_BIT, (), __VA_ARGS__))
#define KEY_BIT(k) | BIT(k)

/* ---------------------------------------------------------------- event-info decoding */

ZTEST(netmgmt_info, test_ipv4_address_events)
{
	static const uint64_t codes[] = {
		NET_EVENT_IPV4_ADDR_ADD,   NET_EVENT_IPV4_ADDR_DEL,    NET_EVENT_IPV4_MADDR_ADD,
		NET_EVENT_IPV4_ROUTER_ADD, NET_EVENT_IPV4_MCAST_JOIN,  NET_EVENT_IPV4_ACD_CONFLICT,
	};
	struct in_addr a = {{{10, 0, 2, 15}}};

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		struct nb_evt ev = decoded(codes[i], &a, sizeof(a));

		zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR), "code %llx", codes[i]);
		zassert_equal(ev.family, 4);
		zassert_mem_equal(ev.addr, a.s4_addr, 4);
	}
	/* net_if.c raises IPV4_ROUTER_DEL with sizeof(struct in6_addr) around an in_addr. */
	uint8_t padded[16] = {192, 168, 1, 1};
	struct nb_evt ev = decoded(NET_EVENT_IPV4_ROUTER_DEL, padded, sizeof(padded));

	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR));
	zassert_mem_equal(ev.addr, padded, 4);
}

ZTEST(netmgmt_info, test_ipv6_address_events)
{
	struct in6_addr a = {{{0xfe, 0x80, [15] = 0x42}}};
	struct nb_evt ev = decoded(NET_EVENT_IPV6_DAD_SUCCEED, &a, sizeof(a));

	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR));
	zassert_equal(ev.family, 6);
	zassert_mem_equal(ev.addr, a.s6_addr, 16);

	/* An IPv6 event whose info has the wrong size is not guessed at. */
	ev = decoded(NET_EVENT_IPV6_ADDR_ADD, &a, 4);
	zassert_equal(ev.keys, KEYS(NB_EVI_INFO_SIZE));
	zassert_equal(ev.info_size, 4);
}

ZTEST(netmgmt_info, test_ipv6_prefix_route_neighbour)
{
	struct net_event_ipv6_prefix p = {.addr = {{{0x20, 0x01, 0x0d, 0xb8}}}, .len = 48,
					  .lifetime = 3600};
	struct nb_evt ev = decoded(NET_EVENT_IPV6_PREFIX_ADD, &p, sizeof(p));

	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_PREFIX_LEN, NB_EVI_LIFETIME));
	zassert_equal(ev.prefix_len, 48);
	zassert_equal(ev.lifetime, 3600);
	zassert_mem_equal(ev.addr, p.addr.s6_addr, 16);

	struct net_event_ipv6_route r = {.nexthop = {{{0xfe, 0x80, [15] = 1}}},
					 .addr = {{{0x20, 0x01, 0x0d, 0xb8, 0, 1}}},
					 .prefix_len = 64};

	ev = decoded(NET_EVENT_IPV6_ROUTE_DEL, &r, sizeof(r));
	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_PREFIX_LEN, NB_EVI_NEXTHOP));
	zassert_mem_equal(ev.addr, r.addr.s6_addr, 16);
	zassert_mem_equal(ev.nexthop, r.nexthop.s6_addr, 16);
	zassert_equal(ev.prefix_len, 64);

	struct net_event_ipv6_nbr n = {.addr = {{{0xfe, 0x80, [15] = 2}}}, .idx = 3};

	ev = decoded(NET_EVENT_IPV6_NBR_ADD, &n, sizeof(n));
	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_INDEX));
	zassert_equal(ev.index, 3);
	n.idx = -1; /* no slot: no index */
	ev = decoded(NET_EVENT_IPV6_NBR_DEL, &n, sizeof(n));
	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR));
}

ZTEST(netmgmt_info, test_pmtu_and_pe_filter)
{
	struct net_event_ipv4_pmtu_info p4 = {.dst = {{{198, 51, 100, 7}}}, .mtu = 1280};
	struct nb_evt ev = decoded(NET_EVENT_IPV4_PMTU_CHANGED, &p4, sizeof(p4));

	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_MTU));
	zassert_equal(ev.family, 4);
	zassert_equal(ev.mtu, 1280);

	struct net_event_ipv6_pmtu_info p6 = {.dst = {{{0x20, 0x01}}}, .mtu = 1400};

	ev = decoded(NET_EVENT_IPV6_PMTU_CHANGED, &p6, sizeof(p6));
	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_MTU));
	zassert_equal(ev.family, 6);
	zassert_equal(ev.mtu, 1400);

	struct net_event_ipv6_pe_filter f = {.prefix = {{{0x20, 0x01}}}, .is_deny_list = true};

	ev = decoded(NET_EVENT_IPV6_PE_FILTER_ADD, &f, sizeof(f));
	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_STATE));
	zassert_equal(ev.state, 1);
}

ZTEST(netmgmt_info, test_dns_server_sockaddr)
{
	struct sockaddr sa = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&sa;

	in->sin_family = AF_INET;
	in->sin_port = htons(53);
	in->sin_addr = (struct in_addr){{{10, 0, 2, 3}}};

	struct nb_evt ev = decoded(NET_EVENT_DNS_SERVER_ADD, &sa, sizeof(sa));

	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_PORT));
	zassert_equal(ev.family, 4);
	zassert_equal(ev.port, 53);
	zassert_mem_equal(ev.addr, ((uint8_t[]){10, 0, 2, 3}), 4);

	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;

	memset(&sa, 0, sizeof(sa));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(5353);
	in6->sin6_addr.s6_addr[0] = 0x20;
	ev = decoded(NET_EVENT_DNS_SERVER_DEL, &sa, sizeof(sa));
	zassert_equal(ev.family, 6);
	zassert_equal(ev.port, 5353);
	zassert_equal(ev.addr[0], 0x20);
}

ZTEST(netmgmt_info, test_hostname_and_dhcp_lease)
{
	struct net_event_l4_hostname h = {0};

	strcpy(h.hostname, "board-7");
	struct nb_evt ev = decoded(NET_EVENT_HOSTNAME_CHANGED, &h, sizeof(h));

	zassert_equal(ev.keys, KEYS(NB_EVI_HOSTNAME));
	zassert_str_equal(ev.hostname, "board-7", "got \"%.16s\"", ev.hostname);
	/* A name filling the whole struct without a NUL stays bounded. */
	memset(h.hostname, 'x', sizeof(h.hostname));
	ev = decoded(NET_EVENT_HOSTNAME_CHANGED, &h, sizeof(h));
	zassert_equal(strlen(ev.hostname), sizeof(h.hostname) - 1);

	struct net_if_dhcpv4 d = {
		.lease_time = 86400,
		.server_id = {{{10, 0, 2, 2}}},
		.requested_ip = {{{10, 0, 2, 15}}},
		.netmask = {{{255, 255, 255, 0}}},
		.state = NET_DHCPV4_BOUND,
	};

	ev = decoded(NET_EVENT_IPV4_DHCP_BOUND, &d, sizeof(d));
	zassert_equal(ev.keys, KEYS(NB_EVI_FAMILY, NB_EVI_ADDR, NB_EVI_PREFIX_LEN, NB_EVI_LIFETIME,
				    NB_EVI_NETMASK, NB_EVI_SERVER, NB_EVI_STATE));
	zassert_mem_equal(ev.addr, d.requested_ip.s4_addr, 4);
	zassert_mem_equal(ev.server, d.server_id.s4_addr, 4);
	zassert_mem_equal(ev.netmask, d.netmask.s4_addr, 4);
	zassert_equal(ev.prefix_len, 24);
	zassert_equal(ev.lifetime, 86400);
	zassert_equal(ev.state, NET_DHCPV4_BOUND);
}

ZTEST(netmgmt_info, test_undecoded_and_empty_info)
{
	uint8_t blob[7] = {1, 2, 3, 4, 5, 6, 7};
	const uint64_t unknown = NET_MGMT_EVENT_BIT | NET_MGMT_LAYER(NET_MGMT_LAYER_L2) |
				 NET_MGMT_LAYER_CODE(NET_MGMT_LAYER_CODE_USER1) | BIT64(3);
	struct nb_evt ev = decoded(unknown, blob, sizeof(blob));

	zassert_equal(ev.keys, KEYS(NB_EVI_INFO_SIZE));
	zassert_equal(ev.info_size, 7);

	ev = decoded(NET_EVENT_IF_UP, NULL, 0);
	zassert_equal(ev.keys, 0);
	/* An event known to carry nothing, given something anyway: only its size. */
	ev = decoded(NET_EVENT_IF_UP, blob, 2);
	zassert_equal(ev.keys, KEYS(NB_EVI_INFO_SIZE));
	zassert_equal(ev.info_size, 2);
}

ZTEST(netmgmt_info, test_netmask_prefix)
{
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){255, 255, 255, 0}), 24);
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){255, 255, 255, 240}), 28);
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){255, 255, 255, 255}), 32);
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){0, 0, 0, 0}), 0);
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){128, 0, 0, 0}), 1);
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){255, 0, 255, 0}), -1);
	zassert_equal(nb_evt_netmask_prefix((uint8_t[]){0, 0, 0, 1}), -1);
}

ZTEST_SUITE(netmgmt_info, NULL, NULL, NULL, NULL, NULL);

/* ---------------------------------------------------------------- encoding */

ZTEST(netmgmt_encode, test_event_ntf_with_info_matches_vector)
{
	const struct vec_valid *v = vector("event-ntf-ipv4-addr-add");
	struct in_addr a = {{{10, 0, 2, 15}}};
	struct nb_evt ev = decoded(NET_EVENT_IPV4_ADDR_ADD, &a, sizeof(a));
	uint8_t buf[128];
	size_t len;

	/* The vector's event: 10.0.2.15/24 on ifindex 1 at 5021 ms (prefix from the interface). */
	ev.code = NET_EVENT_IPV4_ADDR_ADD;
	ev.ifindex = 1;
	ev.uptime_ms = 5021;
	ev.prefix_len = 24;
	ev.keys |= BIT(NB_EVI_PREFIX_LEN);
	zassert_ok(nb_evt_encode_ntf(buf, sizeof(buf), v->id, &ev, &len));
	zassert_equal(len, v->payload_len, "length %zu, vector %zu", len, v->payload_len);
	zassert_mem_equal(buf, v->payload, len);
}

ZTEST(netmgmt_encode, test_event_ntf_without_info_matches_vector)
{
	const struct vec_valid *v = vector("event-ntf-no-info");
	struct nb_evt ev = decoded(NET_EVENT_IF_UP, NULL, 0);
	uint8_t buf[64];
	size_t len;

	ev.code = NET_EVENT_IF_UP;
	ev.ifindex = 1;
	ev.uptime_ms = 5023;
	zassert_ok(nb_evt_encode_ntf(buf, sizeof(buf), v->id, &ev, &len));
	zassert_equal(len, v->payload_len);
	zassert_mem_equal(buf, v->payload, len);
}

/* Walks the encoded EVENT: the info map's keys ascend and carry what the record holds. */
ZTEST(netmgmt_encode, test_event_info_keys_ascend)
{
	struct net_if_dhcpv4 d = {.lease_time = 600, .server_id = {{{10, 0, 2, 2}}},
				  .requested_ip = {{{10, 0, 2, 15}}},
				  .netmask = {{{255, 255, 0, 0}}}, .state = NET_DHCPV4_BOUND};
	struct nb_evt ev = decoded(NET_EVENT_IPV4_DHCP_BOUND, &d, sizeof(d));
	uint8_t buf[160];
	size_t len;

	ev.code = NET_EVENT_IPV4_DHCP_BOUND;
	ev.ifindex = 2;
	ev.uptime_ms = 1;
	memcpy(ev.nexthop, (uint8_t[]){10, 0, 2, 2}, 4);
	ev.keys |= BIT(NB_EVI_NEXTHOP);
	zassert_ok(nb_evt_encode_ntf(buf, sizeof(buf), 7, &ev, &len));

	ZCBOR_STATE_D(zs, 4, buf, len, 1, 0);
	uint32_t u32, key, prev = 0, seen = 0;
	uint64_t code;

	zassert_true(zcbor_list_start_decode(zs) && zcbor_uint32_decode(zs, &u32) &&
		     zcbor_uint32_decode(zs, &u32) && zcbor_uint32_decode(zs, &u32) &&
		     zcbor_map_start_decode(zs));
	zassert_true(zcbor_uint32_expect(zs, 1) && zcbor_uint64_decode(zs, &code));
	zassert_equal(code, NET_EVENT_IPV4_DHCP_BOUND);
	zassert_true(zcbor_uint32_expect(zs, 2) && zcbor_uint32_expect(zs, 2));
	zassert_true(zcbor_uint32_expect(zs, 3) && zcbor_uint32_expect(zs, 1));
	zassert_true(zcbor_uint32_expect(zs, 4) && zcbor_map_start_decode(zs));
	while (!zcbor_array_at_end(zs)) {
		zassert_true(zcbor_uint32_decode(zs, &key));
		zassert_true(key > prev, "key %u after %u", key, prev);
		prev = key;
		seen |= BIT(key);
		if (key == NB_EVI_PREFIX_LEN) {
			zassert_true(zcbor_uint32_decode(zs, &u32));
			zassert_equal(u32, 16);
		} else if (key == NB_EVI_NEXTHOP || key == NB_EVI_ADDR) {
			struct zcbor_string s;

			zassert_true(zcbor_bstr_decode(zs, &s));
			zassert_equal(s.len, 4);
		} else {
			zassert_true(zcbor_any_skip(zs, NULL));
		}
	}
	zassert_equal(seen, ev.keys);
}

ZTEST(netmgmt_encode, test_iface_item_matches_vector)
{
	const struct vec_valid *v = vector("iface-item");
	static struct nb_iface_facts f;
	uint8_t buf[256];
	size_t len;

	memset(&f, 0, sizeof(f));
	f.index = 1;
	strcpy(f.name, "eth0");
	f.l2 = "ETHERNET";
	f.mtu = 1500;
	f.flags = BIT(NB_IFF_ADMIN_UP) | BIT(NB_IFF_OPER_UP) | BIT(NB_IFF_IPV4) | BIT(NB_IFF_IPV6);
	f.lladdr_len = 6;
	memcpy(f.lladdr, (uint8_t[]){2, 0, 0, 0, 0, 1}, 6);
	f.n_addrs = 1;
	f.addrs[0] = (struct nb_if_addr){.family = 4, .prefix_len = 24, .state = 1,
					 .origin = nb_iface_origin(NET_ADDR_DHCP), .finite = true,
					 .lifetime = 86400, .addr = {10, 0, 2, 15}};
	f.n_dns = 1;
	f.dns[0] = (struct nb_dns_server){.family = AF_INET, .port = 53, .addr = {10, 0, 2, 3}};
	f.hostname = "zephyr";
	zassert_ok(nb_iface_encode_item(buf, sizeof(buf), v->id, &f, &len));
	zassert_equal(len, v->payload_len, "length %zu, vector %zu", len, v->payload_len);
	zassert_mem_equal(buf, v->payload, len);

	/* Too small a buffer is an error, never a cut item. */
	zassert_equal(nb_iface_encode_item(buf, len - 1, v->id, &f, &len), -ENOMEM);
}

ZTEST_SUITE(netmgmt_encode, NULL, NULL, NULL, NULL, NULL);

/* ---------------------------------------------------------------- filter */

ZTEST(netmgmt_filter, test_exact_mask_match)
{
	/* A command bit selects that event only. */
	zassert_true(nb_evt_mask_match(NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV4_ADDR_ADD));
	zassert_false(nb_evt_mask_match(NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV4_ADDR_DEL));
	/* OR-ed commands select each. */
	uint64_t both = NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL;

	zassert_true(nb_evt_mask_match(both, NET_EVENT_IPV4_ADDR_DEL));
	zassert_false(nb_evt_mask_match(both, NET_EVENT_IPV4_DHCP_BOUND));
	/* Same command bit in another layer code (IPv6 ADDR_ADD is bit 0 too) does not match. */
	zassert_false(nb_evt_mask_match(NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV6_ADDR_ADD));
	/* Same layer code value in another layer does not match. */
	zassert_false(nb_evt_mask_match(NET_EVENT_IF_DOWN, NET_EVENT_L4_CONNECTED));
	/* No command bits: every command of that layer code (Zephyr's rule). */
	zassert_true(nb_evt_mask_match(NET_EVENT_IPV6_BASE, NET_EVENT_IPV6_NBR_DEL));
	zassert_false(nb_evt_mask_match(NET_EVENT_IPV6_BASE, NET_EVENT_IPV4_ADDR_ADD));
	/* The event and iface bits are not part of the match. */
	zassert_true(nb_evt_mask_match(NET_EVENT_IF_UP & ~(NET_MGMT_EVENT_BIT | NET_MGMT_IFACE_BIT),
				       NET_EVENT_IF_UP));

	const uint64_t masks[] = {NET_EVENT_IF_UP, NET_EVENT_DNS_SERVER_ADD};

	zassert_true(nb_evt_masks_match(masks, 2, NET_EVENT_DNS_SERVER_ADD));
	zassert_true(nb_evt_masks_match(masks, 2, NET_EVENT_IF_UP));
	zassert_false(nb_evt_masks_match(masks, 2, NET_EVENT_IF_DOWN));
	zassert_false(nb_evt_masks_match(masks, 2, NET_EVENT_DNS_SERVER_DEL));
	zassert_false(nb_evt_masks_match(masks, 0, NET_EVENT_IF_UP));
}

static size_t encode_masks(uint8_t *buf, size_t cap, const uint64_t *m, size_t n)
{
	ZCBOR_STATE_E(zs, 1, buf, cap, 1);

	zassert_true(zcbor_list_start_encode(zs, n));
	for (size_t i = 0; i < n; i++) {
		zassert_true(zcbor_uint64_put(zs, m[i]));
	}
	zassert_true(zcbor_list_end_encode(zs, n));
	return (size_t)(zs->payload - buf);
}

ZTEST(netmgmt_filter, test_decode_subscription_masks)
{
	const uint64_t m[] = {NET_EVENT_IF_UP, NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_HOSTNAME_CHANGED};
	uint64_t out[3];
	uint8_t buf[64];
	size_t count;
	size_t len = encode_masks(buf, sizeof(buf), m, 3);

	zassert_ok(nb_evt_decode_masks(buf, len, out, 3, &count));
	zassert_equal(count, 3);
	zassert_mem_equal(out, m, sizeof(m));

	/* More than the board keeps: ENOSPC with the count, nothing beyond max written. */
	zassert_equal(nb_evt_decode_masks(buf, len, out, 2, &count), -ENOSPC);
	zassert_equal(count, 3);

	/* An empty array unsubscribes everything. */
	len = encode_masks(buf, sizeof(buf), m, 0);
	zassert_ok(nb_evt_decode_masks(buf, len, out, 3, &count));
	zassert_equal(count, 0);

	/* Not an array, or an item that is not a uint. */
	uint8_t not_array[] = {0x01};
	uint8_t text_item[] = {0x81, 0x61, 'x'};

	zassert_equal(nb_evt_decode_masks(not_array, sizeof(not_array), out, 3, &count), -EINVAL);
	zassert_equal(nb_evt_decode_masks(text_item, sizeof(text_item), out, 3, &count), -EINVAL);
}

ZTEST_SUITE(netmgmt_filter, NULL, NULL, NULL, NULL, NULL);

/* ---------------------------------------------------------------- a live interface */

ZTEST(netmgmt_iface, test_gather_loopback)
{
	struct net_if *lo = NULL;
	static struct nb_iface_facts f;
	struct in_addr a = {{{192, 0, 2, 7}}};
	struct in_addr mask = {{{255, 255, 255, 240}}};
	bool found = false;

	STRUCT_SECTION_FOREACH(net_if, iface) {
		if (net_if_l2(iface) == &NET_L2_GET_NAME(DUMMY)) {
			lo = iface;
		}
	}
	zassert_not_null(lo, "no loopback interface");
	zassert_not_null(net_if_ipv4_addr_add(lo, &a, NET_ADDR_MANUAL, 0));
	zassert_true(net_if_ipv4_set_netmask_by_addr(lo, &a, &mask));

	nb_iface_gather(lo, &f);
	zassert_equal(f.index, (uint32_t)net_if_get_by_iface(lo));
	zassert_str_equal(f.l2, "DUMMY");
	zassert_true(f.flags & BIT(NB_IFF_LOOPBACK));
	zassert_equal(f.flags & BIT(NB_IFF_ADMIN_UP) ? 1 : 0, net_if_is_admin_up(lo) ? 1 : 0);
	zassert_str_equal(f.hostname, "zephyr");
	for (size_t i = 0; i < f.n_addrs; i++) {
		if (f.addrs[i].family == 4 && memcmp(f.addrs[i].addr, a.s4_addr, 4) == 0) {
			found = true;
			zassert_equal(f.addrs[i].prefix_len, 28);
			zassert_equal(f.addrs[i].origin, NB_ORIGIN_MANUAL);
			zassert_false(f.addrs[i].finite);
		}
	}
	zassert_true(found, "192.0.2.7 missing from %zu addresses", f.n_addrs);

	/* Removed: gone from the next snapshot. */
	zassert_true(net_if_ipv4_addr_rm(lo, &a));
	nb_iface_gather(lo, &f);
	for (size_t i = 0; i < f.n_addrs; i++) {
		zassert_false(f.addrs[i].family == 4 && memcmp(f.addrs[i].addr, a.s4_addr, 4) == 0);
	}
}

ZTEST_SUITE(netmgmt_iface, NULL, NULL, NULL, NULL, NULL);
