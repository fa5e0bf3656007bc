/* Fuzz shim: the CRC-32/IEEE prototypes; the implementation is Zephyr's lib/crc/crc32_sw.c. */
#ifndef NB_FUZZ_SHIM_SYS_CRC_H_
#define NB_FUZZ_SHIM_SYS_CRC_H_

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(const uint8_t *data, size_t len);
uint32_t crc32_ieee_update(uint32_t crc, const uint8_t *data, size_t len);

#endif /* NB_FUZZ_SHIM_SYS_CRC_H_ */
