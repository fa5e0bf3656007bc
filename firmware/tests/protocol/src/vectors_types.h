/* Types of the generated vectors.h (firmware/scripts/vectors_to_c.py). */
#ifndef VECTORS_TYPES_H_
#define VECTORS_TYPES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vec_type { VT_UINT, VT_NINT, VT_BYTES, VT_TEXT, VT_BOOL, VT_NULL, VT_ARRAY, VT_MAP };

/* A JSON body value: ints (NINT: value is -1 - u), strings, and containers by reference. */
struct vec_value {
	uint8_t type;
	uint64_t u;
	const uint8_t *bytes;
	size_t len; /* bytes, or items */
	const struct vec_value *items;
	const uint32_t *keys; /* VT_MAP, ascending */
};

struct vec_valid {
	const char *name;
	const uint8_t *wire;
	size_t wire_len;
	uint8_t ftype, seq, ack, win;
	const uint8_t *payload;
	size_t payload_len;
	bool has_message;
	uint8_t kind;
	uint32_t op;
	uint32_t id;
	struct vec_value body;
};

struct vec_invalid {
	const char *name;
	const uint8_t *wire;
	size_t wire_len;
	const char *error;
};

#endif /* VECTORS_TYPES_H_ */
