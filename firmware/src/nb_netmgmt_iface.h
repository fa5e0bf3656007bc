/*
 * One interface as IFACE_DUMP reports it (proto/netbridge.cddl `iface-item`): the facts gathered
 * from Zephyr's net_if (bounded copies, so encoding never touches live state) and their encoding.
 */
#ifndef NB_NETMGMT_IFACE_H_
#define NB_NETMGMT_IFACE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zephyr/net/net_if.h>

#include "nb_msg.h"

/* iface-flags bit numbers */
enum nb_iff {
	NB_IFF_ADMIN_UP = 0,
	NB_IFF_OPER_UP = 1,
	NB_IFF_LOOPBACK = 2,
	NB_IFF_IPV4 = 3,
	NB_IFF_IPV6 = 4,
	NB_IFF_POINTOPOINT = 5,
	NB_IFF_PROMISC = 6,
	NB_IFF_NO_AUTO_START = 7,
	NB_IFF_DHCPV4 = 8,
};

/* if-addr origin */
enum nb_addr_origin {
	NB_ORIGIN_MANUAL = 0,
	NB_ORIGIN_AUTOCONF = 1,
	NB_ORIGIN_DHCP = 2,
	NB_ORIGIN_OVERRIDABLE = 3,
};

/* Zephyr defines these as 0 when the family is off. */
#define NB_IFACE_MAX_ADDRS (NET_IF_MAX_IPV4_ADDR + NET_IF_MAX_IPV6_ADDR)
#if defined(CONFIG_DNS_RESOLVER)
#define NB_IFACE_MAX_DNS CONFIG_DNS_RESOLVER_MAX_SERVERS
#else
#define NB_IFACE_MAX_DNS 0
#endif
#define NB_IFACE_NAME_SIZE 16

struct nb_if_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix_len;
	uint8_t state;  /* 0 tentative, 1 preferred, 2 deprecated */
	uint8_t origin; /* enum nb_addr_origin */
	bool finite;    /* lifetime is meaningful (absent on the wire: infinite) */
	uint32_t lifetime;
	uint8_t addr[16];
};

struct nb_dns_server {
	uint8_t family; /* board AF_* */
	uint16_t port;
	uint32_t scope_id; /* IPv6 only, 0: none */
	uint8_t addr[16];
};

struct nb_iface_facts {
	uint32_t index;
	char name[NB_IFACE_NAME_SIZE];
	const char *l2;
	uint32_t mtu;
	uint32_t flags; /* BIT(enum nb_iff) */
	uint8_t lladdr_len;
	uint8_t lladdr[NET_LINK_ADDR_MAX_LENGTH];
	size_t n_addrs;
	struct nb_if_addr addrs[MAX(NB_IFACE_MAX_ADDRS, 1)];
	size_t n_dns;
	struct nb_dns_server dns[MAX(NB_IFACE_MAX_DNS, 1)];
	const char *hostname;
};

/* A snapshot of iface into f (takes the interface's and the DNS resolver's locks briefly). */
void nb_iface_gather(struct net_if *iface, struct nb_iface_facts *f);

/* Writes iface-item's keys into an open body map. False when the buffer is full. */
bool nb_iface_encode_body(struct nb_enc *e, const struct nb_iface_facts *f);

/* A whole ITEM (op IFACE_DUMP, request id) message. 0 or -ENOMEM (does not fit cap). */
int nb_iface_encode_item(uint8_t *buf, size_t cap, uint32_t id, const struct nb_iface_facts *f,
			 size_t *len);

/* Zephyr address origin (enum net_addr_type) as the wire's if-addr origin. */
uint8_t nb_iface_origin(enum net_addr_type type);

#endif /* NB_NETMGMT_IFACE_H_ */
