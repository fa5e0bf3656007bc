/* Fuzz shim: little-endian accessors of Zephyr's sys/byteorder.h. */
#ifndef NB_FUZZ_SHIM_SYS_BYTEORDER_H_
#define NB_FUZZ_SHIM_SYS_BYTEORDER_H_

#include <stdint.h>

static inline uint32_t sys_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline void sys_put_le32(uint32_t v, uint8_t *p)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif /* NB_FUZZ_SHIM_SYS_BYTEORDER_H_ */
