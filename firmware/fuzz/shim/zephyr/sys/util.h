/* Fuzz shim: the macros of Zephyr's sys/util.h the netbridge sources and cobs.c use. */
#ifndef NB_FUZZ_SHIM_SYS_UTIL_H_
#define NB_FUZZ_SHIM_SYS_UTIL_H_

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef MIN
#define MIN(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) (((a) > (b)) ? (a) : (b))
#endif
#define CLAMP(v, lo, hi) (((v) < (lo)) ? (lo) : (((v) > (hi)) ? (hi) : (v)))
#define BIT(n) (1UL << (n))

#endif /* NB_FUZZ_SHIM_SYS_UTIL_H_ */
