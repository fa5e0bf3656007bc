/*
 * The interface between the bridge core and op handler modules (session, net_mgmt, sockets).
 *
 * A module registers its ops with NB_OP_DEFINE; the core decodes the message header, looks the op
 * up, and runs the handler on a worker thread with the request copied into a bounded slot. The
 * handler decodes the body (nb_body_decode), does the work, and answers exactly once with
 * nb_reply_*() or nb_out_begin(NB_KIND_RSP / NB_KIND_DONE) + nb_out_send(); a dump sends any number
 * of NB_KIND_ITEM first. A handler that returns without answering gets an ERR EIO from the core.
 *
 *	static void handle_foo(struct nb_req *req) { ... nb_reply_empty(req); }
 *	NB_OP_DEFINE(foo, NB_OP_FOO, 0, handle_foo);
 */
#ifndef NB_INTERNAL_H_
#define NB_INTERNAL_H_

#include <stdbool.h>
#include <stdint.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/iterable_sections.h>

#include "nb_link.h"
#include "nb_msg.h"
#include "nb_proto.h"

/* Bytes of headroom in every transmit buffer beyond the MTU: zcbor's canonical mode reserves
 * container headers at full size while encoding and shrinks them at the end. */
#define NB_ENC_SLACK 8

/* A request waiting for or held by a worker. */
struct nb_req {
	void *fifo_reserved;
	struct nb_msg msg; /* body points into data */
	uint32_t epoch;    /* link epoch it arrived in: answers to an older link are dropped */
	bool answered;
	uint8_t flags;     /* of its op */
	uint16_t len;
	uint32_t ticket;   /* NB_OP_ORDERED: its place in arrival order */
	uint8_t data[CONFIG_NETBRIDGE_MTU];
};

typedef void (*nb_op_handler_t)(struct nb_req *req);

/* Handler flag: may block for long (sockets). Such requests never occupy the last free worker. */
#define NB_OP_MAY_BLOCK BIT(0)
/*
 * Handler flag: never blocks, and requests of such ops run one at a time in arrival order (so the
 * host may pipeline them, e.g. stream writes); they take no blocking slot.
 */
#define NB_OP_ORDERED BIT(1)

struct nb_op_desc {
	uint8_t op;
	uint8_t flags;
	nb_op_handler_t handler;
	const char *name;
};

#define NB_OP_DEFINE(_name, _op, _flags, _handler)                                                 \
	static const STRUCT_SECTION_ITERABLE(nb_op_desc, nb_op_##_name) = {                        \
		.op = (_op), .flags = (_flags), .handler = (_handler), .name = #_name}

/* ---------------------------------------------------------------- sending */

/* A message being built in a transmit buffer. */
struct nb_out {
	struct nb_enc enc;
	struct nb_txmsg *msg;
	struct nb_req *req; /* the request answered, NULL for NTF */
	uint8_t kind;
	uint32_t op;
	uint32_t id;
};

/*
 * Starts an answer to req (RSP, ERR, ITEM or DONE) with an open body map; waits up to
 * CONFIG_NETBRIDGE_TX_ALLOC_TIMEOUT_MS for a buffer. 0, -ENOBUFS (counted as TX_DROPS) or
 * -ESTALE (the link was reset since the request arrived).
 */
int nb_out_begin(struct nb_out *o, struct nb_req *req, uint8_t kind);
/*
 * Starts a notification (never waits; keeps one buffer for answers). On -ENOBUFS the drop is
 * counted and reported later with OVERRUN {1: what}. Holds the notification lock until
 * nb_out_send/nb_out_abort, so notification ids leave in order.
 */
int nb_ntf_begin(struct nb_out *o, uint8_t op, enum nb_overrun_what what);
/* Counts n notifications a module dropped before nb_ntf_begin (its bounded queue was full); they
 * are reported with the next OVERRUN {1: what}. */
void nb_overrun_add(enum nb_overrun_what what, uint32_t n);
/* The body encoder of an open message. */
static inline struct nb_enc *nb_out_enc(struct nb_out *o)
{
	return &o->enc;
}
/* Closes and queues the message. An answer that outgrew the peer's MTU becomes ERR EMSGSIZE. */
int nb_out_send(struct nb_out *o);
/* Queues a message the caller encoded whole into o->msg->data (len bytes), replacing the open one
 * (for the standalone nb_msg_encode_* encoders). */
int nb_out_send_encoded(struct nb_out *o, size_t len);
void nb_out_abort(struct nb_out *o);
/*
 * True when nb_ntf_begin would get a buffer now with `spare` more left over for other notifiers:
 * producers that must not lose what they read (socket data) check before reading.
 */
bool nb_ntf_room(unsigned int spare);

/* One-shot answers. */
int nb_reply_empty(struct nb_req *req);
int nb_reply_err(struct nb_req *req, int err, const char *extack, uint32_t field);
/* ERR EINVAL naming the offending field: "key 3: wrong type". */
int nb_reply_body_err(struct nb_req *req, const struct nb_body_error *e);
int nb_reply_done(struct nb_req *req, uint32_t count, bool interrupted);

/* Decodes req's body; on failure answers ERR EINVAL itself and returns -EINVAL. */
int nb_req_decode(struct nb_req *req, const struct nb_field *fields, struct nb_value *vals,
		  size_t n);

/* ---------------------------------------------------------------- counters, session facts */

/* Counters the core keeps for modules (EVENTS_SENT, EVENTS_DROPPED, SOCKETS_OPEN, ...). */
void nb_stat_add(enum nb_counter c, int32_t delta);
void nb_stats_collect(uint64_t counter[NB_CNT_COUNT + 1]);

/* Largest message the peer accepts (its HELLO MTU, capped by ours). */
uint32_t nb_peer_mtu(void);
void nb_set_peer_limits(uint32_t mtu, uint32_t window);
bool nb_shared_console(void);
/* Waits up to timeout for every queued message to be acknowledged. */
int nb_tx_flush(k_timeout_t timeout);

#endif /* NB_INTERNAL_H_ */
