/*
 * netbridge: the board side of a host bridge for Zephyr net_mgmt events and BSD sockets.
 * The wire protocol is proto/PROTOCOL.md; the message schema proto/netbridge.cddl.
 */
#ifndef NETBRIDGE_NETBRIDGE_H_
#define NETBRIDGE_NETBRIDGE_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Starts the bridge on the devicetree chosen "zephyr,netbridge-uart" (else "zephyr,console",
 * announced as a shared console): UART, link thread, workers. Returns 0, -EALREADY, or -ENODEV.
 */
int netbridge_start(void);

/* True once a host completed the link reset handshake and has not gone silent since. */
bool netbridge_link_up(void);

/* A snapshot of the counters STATS reports, indexed by the CDDL counter number (1..17). */
struct netbridge_stats {
	uint64_t counter[18];
};

void netbridge_stats_get(struct netbridge_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* NETBRIDGE_NETBRIDGE_H_ */
