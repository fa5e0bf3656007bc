/*
 * The CBOR message layer (PROTOCOL.md §2): decoding [kind, op, id, body] and request bodies,
 * encoding answers canonically with zcbor (definite lengths, shortest ints, keys in the order the
 * encoder writes them, which callers keep ascending). Pure functions over byte buffers.
 */
#ifndef NB_MSG_H_
#define NB_MSG_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zcbor_common.h>

#include "nb_proto.h"

/* Nesting the decoder follows: message, body, and three levels inside a body (poll's [[fd, ev]]). */
#define NB_MSG_MAX_DEPTH 5

/* A decoded message header; body points into the payload (the encoded map). */
struct nb_msg {
	uint8_t kind;
	uint32_t op;
	uint32_t id;
	const uint8_t *body;
	size_t body_len;
};

/* 0, or -EBADMSG when the payload is not a well-formed message (counted MALFORMED, no answer). */
int nb_msg_decode(const uint8_t *payload, size_t len, struct nb_msg *out);

/* ---------------------------------------------------------------- request bodies */

enum nb_field_type {
	NB_FIELD_UINT, /* uint, up to max when max != 0 */
	NB_FIELD_INT,  /* int (either sign) */
	NB_FIELD_BSTR, /* length in [min, max] (max 0: any) */
	NB_FIELD_TSTR, /* length in [min, max] (max 0: any) */
	NB_FIELD_BOOL,
	NB_FIELD_ANY,  /* any well-formed item, returned encoded (nested maps and arrays) */
};

struct nb_field {
	uint32_t key;
	uint8_t type; /* enum nb_field_type */
	bool required;
	uint64_t min;
	uint64_t max;
};

struct nb_value {
	bool present;
	union {
		uint64_t u;
		int64_t i;
		bool b;
		struct {
			const uint8_t *ptr;
			size_t len;
		} s; /* BSTR, TSTR (not NUL-terminated) and ANY (the encoded item) */
	};
};

struct nb_body_error {
	uint32_t key;    /* offending key (0: the body itself) */
	const char *why; /* "missing", "wrong type", "out of range", "duplicate key", ... */
};

/*
 * Decodes a map body (of a message or nested) into vals (parallel to fields). Unknown keys are
 * skipped. Returns 0 or -EINVAL with *err filled.
 */
int nb_body_decode(const uint8_t *body, size_t len, const struct nb_field *fields,
		   struct nb_value *vals, size_t n, struct nb_body_error *err);

/* Session request bodies (decoded by the core; shared with the tests). */
struct nb_hello_req {
	uint32_t min_version;
	uint32_t max_version;
	uint8_t schema_hash[8];
	uint32_t mtu;
	uint32_t window;
	uint64_t features; /* 0 when absent */
};
int nb_msg_decode_hello_req(const uint8_t *body, size_t len, struct nb_hello_req *out,
			    struct nb_body_error *err);

struct nb_bytes_req {
	bool present;
	const uint8_t *ptr;
	size_t len;
};
/* PING {?1: bstr} and SINK {1: bstr}. */
int nb_msg_decode_ping_req(const uint8_t *body, size_t len, struct nb_bytes_req *out,
			   struct nb_body_error *err);
int nb_msg_decode_sink_req(const uint8_t *body, size_t len, struct nb_bytes_req *out,
			   struct nb_body_error *err);

/* ---------------------------------------------------------------- answers */

#define NB_ENC_BACKUPS NB_MSG_MAX_DEPTH

/* A canonical encoder writing one message into buf. */
struct nb_enc {
	zcbor_state_t zs[NB_ENC_BACKUPS + 2];
	uint8_t *buf;
};

/* Starts [kind, op, id, { ... and leaves the body map open for the caller's keys. */
bool nb_enc_begin(struct nb_enc *e, uint8_t *buf, size_t cap, uint8_t kind, uint32_t op,
		  uint32_t id);
/* Closes the body and the message; *len is the message's size. */
bool nb_enc_end(struct nb_enc *e, size_t *len);

/* Body helpers (key then value); each returns false when the buffer is full. */
static inline zcbor_state_t *nb_enc_state(struct nb_enc *e)
{
	return e->zs;
}
bool nb_enc_uint(struct nb_enc *e, uint32_t key, uint64_t v);
bool nb_enc_int(struct nb_enc *e, uint32_t key, int64_t v);
bool nb_enc_bstr(struct nb_enc *e, uint32_t key, const void *p, size_t len);
bool nb_enc_tstr(struct nb_enc *e, uint32_t key, const char *s);
bool nb_enc_bool(struct nb_enc *e, uint32_t key, bool v);
/* Nested containers: key, then start; close with the matching end. */
bool nb_enc_map_start(struct nb_enc *e, uint32_t key);
bool nb_enc_map_end(struct nb_enc *e);
bool nb_enc_list_start(struct nb_enc *e, uint32_t key);
bool nb_enc_list_end(struct nb_enc *e);

/* Zephyr errno name ("EINVAL"), "E?" for numbers without one. */
const char *nb_errno_name(int err);

/* Zephyr's number for this build's errno value (they differ on another libc); others unchanged. */
int nb_errno_wire(int err);

/* An ERR body: {1: errno, 2: name, ?3: extack, ?4: field, ?5: getaddrinfo error}. */
struct nb_err {
	int errnum;         /* positive Zephyr errno, or 0 with has_gai */
	const char *name;   /* NULL: nb_errno_name(errnum) */
	const char *extack; /* NULL: none; cut to fit the buffer */
	uint32_t field;     /* 0: none */
	bool has_gai;
	int32_t gai;        /* DNS_EAI_* (negative) */
};

int nb_msg_encode_err_body(uint8_t *buf, size_t cap, uint32_t op, uint32_t id,
			   const struct nb_err *err, size_t *len);
/* The common case: errno, optional extack (NULL) and field (0). */
int nb_msg_encode_err(uint8_t *buf, size_t cap, uint32_t op, uint32_t id, int err,
		      const char *extack, uint32_t field, size_t *len);
/* DONE {1: count, 2: interrupted} */
int nb_msg_encode_done(uint8_t *buf, size_t cap, uint32_t op, uint32_t id, uint32_t count,
		       bool interrupted, size_t *len);
/* NTF OVERRUN {1: what, 2: count, 3: total} */
int nb_msg_encode_overrun(uint8_t *buf, size_t cap, uint32_t seq, uint32_t what, uint32_t count,
			  uint32_t total, size_t *len);

struct nb_limits {
	uint32_t max_sockets;
	uint32_t max_subscriptions;
	uint32_t event_queue_len;
	uint32_t tx_queue_len;
	uint32_t rx_buffer;
	uint32_t max_data; /* 0: not announced (key 6 is optional) */
};

struct nb_hello_info {
	uint32_t version;
	uint8_t schema_hash[8];
	uint32_t mtu;
	uint32_t window;
	uint64_t features;
	const char *board;
	const char *zephyr_version;
	const char *fw_version;
	uint8_t boot_id[8];
	struct nb_limits limits;
	uint64_t uptime_ms;
};

int nb_msg_encode_hello_rsp(uint8_t *buf, size_t cap, uint32_t id,
			    const struct nb_hello_info *info, size_t *len);
/* PING RSP {?1: echo}; echo NULL leaves key 1 out. */
int nb_msg_encode_ping_rsp(uint8_t *buf, size_t cap, uint32_t id, const uint8_t *echo,
			   size_t echo_len, size_t *len);

/* SINK RSP {1: bytes received} */
int nb_msg_encode_sink_rsp(uint8_t *buf, size_t cap, uint32_t id, uint64_t count, size_t *len);

struct nb_counter_value {
	uint32_t key; /* enum nb_counter */
	uint64_t value;
};
/* STATS RSP; counters in ascending key order. */
int nb_msg_encode_stats_rsp(uint8_t *buf, size_t cap, uint32_t id,
			    const struct nb_counter_value *c, size_t n, size_t *len);

#endif /* NB_MSG_H_ */
