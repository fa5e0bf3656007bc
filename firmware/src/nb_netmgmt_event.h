/*
 * net_mgmt events on the wire (EVENT ntf, proto/netbridge.cddl `event-ntf` / `event-info`): the
 * compact record the net_mgmt callback queues, its decoding from the event's info struct, its CBOR
 * encoding, and the exact subscription filter. Pure functions: no threads, no net_if state.
 */
#ifndef NB_NETMGMT_EVENT_H_
#define NB_NETMGMT_EVENT_H_

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zephyr/sys/util.h>
#include <zephyr/net/hostname.h>

#include "nb_msg.h"

/* Longest hostname a HOSTNAME_CHANGED record carries (NUL included). */
#define NB_EVT_HOSTNAME_SIZE NET_HOSTNAME_SIZE

/* event-info keys (bit k of nb_evt.keys says key k is present) */
enum nb_evt_info_key {
	NB_EVI_FAMILY = 1,
	NB_EVI_ADDR = 2,
	NB_EVI_PREFIX_LEN = 3,
	NB_EVI_LIFETIME = 4,
	NB_EVI_HOSTNAME = 5,
	NB_EVI_NEXTHOP = 6,
	NB_EVI_NETMASK = 7,
	NB_EVI_SERVER = 8,
	NB_EVI_MTU = 9,
	NB_EVI_PORT = 10,
	NB_EVI_STATE = 11,
	NB_EVI_INFO_SIZE = 12,
	NB_EVI_INDEX = 13,
};

/* One raised event, decoded: what crosses from net_mgmt's thread to the sender. */
struct nb_evt {
	uint64_t code;      /* the board's 64-bit event code */
	uint64_t uptime_ms; /* when the callback saw it */
	uint32_t ifindex;   /* 0: not tied to an interface */
	uint16_t keys;      /* BIT(enum nb_evt_info_key) of the event-info keys present */
	uint8_t family;     /* 4 or 6: length of addr/nexthop */
	uint8_t prefix_len;
	uint8_t addr[16];
	uint8_t nexthop[16];
	uint8_t netmask[4];
	uint8_t server[4];
	uint16_t port;
	uint32_t lifetime;
	uint32_t mtu;
	int32_t state;
	uint32_t info_size;
	uint32_t index;
	char hostname[NB_EVT_HOSTNAME_SIZE];
};

static inline bool nb_evt_has(const struct nb_evt *ev, enum nb_evt_info_key k)
{
	return (ev->keys & BIT(k)) != 0;
}

/*
 * Fills ev's event-info fields from the info net_mgmt passed with event `code` (info may be NULL).
 * Known events become typed keys; an info the board does not decode (unknown event, unexpected
 * size) becomes key 12 with its size only. Leaves code, uptime and ifindex to the caller.
 */
void nb_evt_decode_info(uint64_t code, const void *info, size_t len, struct nb_evt *ev);

/* Prefix length of a contiguous IPv4 netmask (network byte order); -1 when not contiguous. */
int nb_evt_netmask_prefix(const uint8_t mask[4]);

/* Writes event-ntf's keys 1..4 into an open body map. False when the buffer is full. */
bool nb_evt_encode_body(struct nb_enc *e, const struct nb_evt *ev);

/* A whole NTF EVENT message with notification sequence number seq. 0 or -ENOMEM. */
int nb_evt_encode_ntf(uint8_t *buf, size_t cap, uint32_t seq, const struct nb_evt *ev, size_t *len);

/*
 * Zephyr's own matching rule for a callback's mask: same layer, same layer code, and the command
 * bits intersect (a mask or event without command bits matches every command of its layer code).
 */
bool nb_evt_mask_match(uint64_t mask, uint64_t event);

/* True when event matches one of the n masks: only these events cross the line. */
bool nb_evt_masks_match(const uint64_t *masks, size_t n, uint64_t event);

/*
 * Decodes evt-subscribe-req's key 1 (the encoded array item) into out. *count is the number of
 * masks the array holds. 0, -ENOSPC (more than max: the first max are in out), or -EINVAL (not an
 * array of uints).
 */
int nb_evt_decode_masks(const uint8_t *item, size_t len, uint64_t *out, size_t max, size_t *count);

#endif /* NB_NETMGMT_EVENT_H_ */
