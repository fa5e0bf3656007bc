/*
 * The link layer's reliable delivery (PROTOCOL.md §1.3): sequence numbers, cumulative acks,
 * window, go-back-N retransmission with an RFC 6298 timeout, duplicate suppression and the
 * RST/RST_ACK handshake. Single-threaded and clock-free: the caller passes "now" (ms) and the
 * operations below reach the line, the message layer and the transmit queue. The board runs one
 * instance on its link thread; the tests run two back to back in memory.
 */
#ifndef NB_LINK_H_
#define NB_LINK_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zephyr/net_buf.h>

#include "nb_frame.h"

/* Never more frames in flight than this, whatever the windows say (PROTOCOL.md §1.3). */
#define NB_LINK_WINDOW_LIMIT 64

/* A message waiting to be sent or acknowledged; owned by the link between tx_next and tx_release. */
struct nb_txmsg {
	void *fifo_reserved; /* first word for k_fifo */
	uint16_t len;
	uint16_t cap;
	uint8_t data[];
};

struct nb_link_ops {
	/* Bytes to the line. */
	void (*write)(void *ctx, const uint8_t *data, size_t len);
	/* An in-order DATA payload; false when there is no room (the frame is then not acked). */
	bool (*deliver)(void *ctx, const uint8_t *payload, size_t len);
	/* Frames the receiver can take now: offered as win. */
	uint8_t (*rx_room)(void *ctx);
	/* Next queued message, or NULL. */
	struct nb_txmsg *(*tx_next)(void *ctx);
	/* The link is done with a message: acked, or discarded by a reset (acked = false). */
	void (*tx_release)(void *ctx, struct nb_txmsg *msg, bool acked);
	/* The link was reset (RST either way) or declared dead: queued messages belong to the old link. */
	void (*on_reset)(void *ctx, bool dead);
	/* A random 32-bit nonce for RST. */
	uint32_t (*random)(void *ctx);
};

struct nb_link_config {
	uint16_t mtu;        /* largest payload accepted (and sent) */
	uint8_t window;      /* own send window limit (frames) */
	uint16_t rto_min_ms;
	uint16_t rto_initial_ms;
	uint16_t rto_max_ms;
	uint8_t max_retries;
	uint16_t rst_interval_ms;
	uint16_t boot_rst_tries; /* 0: repeat the boot RST until answered */
};

struct nb_link_stats {
	uint32_t frames_in;
	uint32_t frames_out;
	uint32_t crc_errors;
	uint32_t garbage_bytes;
	uint32_t retransmits;
	uint32_t duplicates;
	uint32_t resyncs;
	uint32_t malformed;   /* unknown frame type / link version (the message layer adds its own) */
	uint32_t rx_no_room;  /* in-order DATA the receiver had no room for (left unacked) */
	uint32_t dead;        /* times the peer stopped acknowledging */
	enum nb_frame_err last_err; /* why the last failed run failed (tests, diagnostics) */
};

struct nb_inflight {
	struct nb_txmsg *msg;
	int64_t sent_at;
	uint8_t sends;
};

struct nb_link {
	const struct nb_link_ops *ops;
	void *ctx;
	struct nb_link_config cfg;
	struct nb_splitter splitter;
	struct net_buf *rx_raw;
	struct net_buf *tx_raw;
	struct net_buf *tx_wire;

	bool synced;
	bool rst_pending;       /* we sent RST and wait for its RST_ACK */
	uint32_t nonce;          /* of our RST */
	uint32_t peer_nonce;     /* of the last RST we answered */
	bool peer_nonce_valid;
	uint16_t rst_tries_left; /* 0 with rst_pending: unbounded */
	int64_t rst_next;       /* next RST repetition */
	int64_t unsync_rst_at;  /* last RST sent in answer to DATA while unsynchronised */

	/* send side */
	uint8_t tx_seq;   /* seq of the next new frame */
	uint8_t tx_base;  /* seq of the oldest unacked frame */
	uint8_t inflight_n;
	uint8_t ring_head; /* ring slot of tx_base */
	struct nb_inflight ring[NB_LINK_WINDOW_LIMIT];
	uint8_t peer_win;
	int64_t rto_deadline; /* 0: no timer */
	int64_t probe_at;     /* zero-window probe time, 0: none */
	uint8_t retries;
	bool have_rtt;
	int32_t srtt_ms;
	int32_t rttvar_ms;
	int32_t rto_ms;

	/* receive side */
	int64_t rx_now; /* the caller's clock during nb_link_rx (the splitter calls back) */
	uint8_t rx_expected;
	bool ack_pending;
	bool ack_gap;  /* the next ACK asks the peer to go back (seq 1): we dropped a frame */
	bool refused;  /* an in-order frame found no room: go back once there is room again */
	int16_t fast_base; /* tx_base at the last go-back on a gap ACK, -1: none since progress */

	struct nb_link_stats stats;
};

/*
 * buffers: rx_run needs NB_FRAME_MAX_RUN(mtu) bytes, rx_raw as much, tx_raw NB_FRAME_MAX_LEN(mtu),
 * tx_wire NB_FRAME_MAX_WIRE(mtu).
 */
void nb_link_init(struct nb_link *link, const struct nb_link_config *cfg,
		  const struct nb_link_ops *ops, void *ctx, struct net_buf *rx_run,
		  struct net_buf *rx_raw, struct net_buf *tx_raw, struct net_buf *tx_wire);

/* Starts the link as after boot: unsynchronised, sending RST until answered. */
void nb_link_start(struct nb_link *link, int64_t now);

/* Bytes from the line. */
void nb_link_rx(struct nb_link *link, const uint8_t *data, size_t len, int64_t now);

/*
 * Sends what the window allows, pending acks, due retransmissions and RSTs. Returns the time (ms)
 * of the next deadline, or INT64_MAX when only new input or new messages can make progress.
 */
int64_t nb_link_service(struct nb_link *link, int64_t now);

/* The receiver has room again: offer the new window at once (an ACK), so a paused peer resumes. */
static inline void nb_link_window_update(struct nb_link *link)
{
	if (link->synced) {
		link->ack_pending = true;
		if (link->refused) {
			link->refused = false;
			link->ack_gap = true; /* the refused frame must come again, and what followed it */
		}
	}
}

static inline bool nb_link_synced(const struct nb_link *link)
{
	return link->synced;
}

#endif /* NB_LINK_H_ */
