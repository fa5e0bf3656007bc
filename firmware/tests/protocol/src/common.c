#include "common.h"

#include <zephyr/ztest.h>

NET_BUF_POOL_FIXED_DEFINE(test_pool, 12, NB_FRAME_MAX_WIRE(TEST_MTU), 0, NULL);

static struct net_buf *bufs[3][4];

void link_bufs_get(int i, struct link_bufs *out)
{
	zassert_true(i >= 0 && i < 3);
	for (int j = 0; j < 4; j++) {
		if (bufs[i][j] == NULL) {
			bufs[i][j] = net_buf_alloc(&test_pool, K_NO_WAIT);
			zassert_not_null(bufs[i][j]);
		}
		net_buf_reset(bufs[i][j]);
		out->b[j] = bufs[i][j];
	}
}

uint32_t test_rand(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}
