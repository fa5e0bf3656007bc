/* Shared fixtures of the protocol tests. */
#ifndef NB_TEST_COMMON_H_
#define NB_TEST_COMMON_H_

#include <zephyr/net_buf.h>

#include "nb_frame.h"
#include "nb_link.h"

#define TEST_MTU CONFIG_NETBRIDGE_MTU

/* Four buffers sized for the largest wire frame, for link number i (0..2). */
struct link_bufs {
	struct net_buf *b[4];
};
void link_bufs_get(int i, struct link_bufs *out);

/* A deterministic PRNG (xorshift32). */
uint32_t test_rand(uint32_t *state);

#endif /* NB_TEST_COMMON_H_ */
