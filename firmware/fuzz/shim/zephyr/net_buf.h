/*
 * Fuzz shim: the few net_buf calls the netbridge sources and Zephyr's cobs.c make, over a plain
 * buffer. Every bound Zephyr only checks with __ASSERT is checked here and aborts, so a caller that
 * would overrun a buffer on the board is a finding, not silent corruption.
 */
#ifndef NB_FUZZ_SHIM_NET_BUF_H_
#define NB_FUZZ_SHIM_NET_BUF_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net_buf {
	uint8_t *data;
	uint16_t len;
	uint16_t size;
	uint8_t *__buf;
};

#define NB_SHIM_CHECK(cond)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "net_buf shim: %s failed at %s:%d\n", #cond, __FILE__,    \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static inline void net_buf_shim_init(struct net_buf *b, uint8_t *mem, uint16_t size)
{
	b->__buf = mem;
	b->data = mem;
	b->size = size;
	b->len = 0;
}

static inline void net_buf_reset(struct net_buf *b)
{
	b->data = b->__buf;
	b->len = 0;
}

static inline size_t net_buf_headroom(const struct net_buf *b)
{
	return (size_t)(b->data - b->__buf);
}

static inline size_t net_buf_tailroom(const struct net_buf *b)
{
	return b->size - net_buf_headroom(b) - b->len;
}

static inline void *net_buf_add(struct net_buf *b, size_t len)
{
	NB_SHIM_CHECK(net_buf_tailroom(b) >= len);
	uint8_t *tail = b->data + b->len;

	b->len += (uint16_t)len;
	return tail;
}

static inline void *net_buf_add_mem(struct net_buf *b, const void *mem, size_t len)
{
	return memcpy(net_buf_add(b, len), mem, len);
}

static inline uint8_t *net_buf_add_u8(struct net_buf *b, uint8_t val)
{
	uint8_t *p = net_buf_add(b, 1);

	*p = val;
	return p;
}

static inline void net_buf_add_le32(struct net_buf *b, uint32_t val)
{
	uint8_t *p = net_buf_add(b, 4);

	p[0] = (uint8_t)val;
	p[1] = (uint8_t)(val >> 8);
	p[2] = (uint8_t)(val >> 16);
	p[3] = (uint8_t)(val >> 24);
}

static inline uint8_t net_buf_pull_u8(struct net_buf *b)
{
	NB_SHIM_CHECK(b->len >= 1);
	uint8_t v = b->data[0];

	b->data++;
	b->len--;
	return v;
}

static inline uint8_t net_buf_remove_u8(struct net_buf *b)
{
	NB_SHIM_CHECK(b->len >= 1);
	b->len--;
	return b->data[b->len];
}

#endif /* NB_FUZZ_SHIM_NET_BUF_H_ */
