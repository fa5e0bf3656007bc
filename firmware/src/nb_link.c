/* Reliable delivery over the framing: see nb_link.h and PROTOCOL.md §1.3. */
#include "nb_link.h"

#include <string.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/util.h>

/* A frame this far behind the expected seq is a duplicate; further is from the future. */
#define NB_DUP_RANGE 128

static void send_frame(struct nb_link *link, uint8_t type, uint8_t seq, const uint8_t *payload,
		       size_t len)
{
	struct nb_frame_hdr hdr = {
		.type = type,
		.seq = seq,
		.ack = link->rx_expected,
		.win = link->ops->rx_room(link->ctx),
	};

	if (nb_frame_encode(&hdr, payload, len, link->tx_raw, link->tx_wire) != 0) {
		return; /* cannot happen: messages are bounded by the MTU the buffers are sized for */
	}
	link->ops->write(link->ctx, link->tx_wire->data, link->tx_wire->len);
	link->stats.frames_out++;
	/* DATA carries the ack but not the go-back request: that one needs an ACK of its own. */
	if (type == NB_FT_ACK || (type == NB_FT_DATA && !link->ack_gap)) {
		link->ack_pending = false;
	}
	if (type == NB_FT_ACK) {
		link->ack_gap = false;
	}
}

static void send_rst(struct nb_link *link, uint8_t type, uint32_t nonce)
{
	uint8_t p[NB_RST_NONCE_LEN];

	sys_put_le32(nonce, p);
	send_frame(link, type, 0, p, sizeof(p));
}

static void drop_inflight(struct nb_link *link)
{
	while (link->inflight_n > 0) {
		struct nb_inflight *f = &link->ring[link->ring_head];

		link->ops->tx_release(link->ctx, f->msg, false);
		f->msg = NULL;
		link->ring_head = (link->ring_head + 1) % NB_LINK_WINDOW_LIMIT;
		link->inflight_n--;
	}
}

/* Fresh sequence state after a reset handshake (either direction). */
static void reset_state(struct nb_link *link)
{
	drop_inflight(link);
	link->ops->on_reset(link->ctx, false);
	link->tx_seq = 0;
	link->tx_base = 0;
	link->ring_head = 0;
	link->rx_expected = 0;
	link->ack_pending = false;
	link->ack_gap = false;
	link->refused = false;
	link->fast_base = -1;
	link->rto_deadline = 0;
	link->probe_at = 0;
	link->retries = 0;
	link->synced = true;
	link->rst_pending = false;
	link->stats.resyncs++;
}

void nb_link_init(struct nb_link *link, const struct nb_link_config *cfg,
		  const struct nb_link_ops *ops, void *ctx, struct net_buf *rx_run,
		  struct net_buf *rx_raw, struct net_buf *tx_raw, struct net_buf *tx_wire)
{
	memset(link, 0, sizeof(*link));
	link->cfg = *cfg;
	link->cfg.window = CLAMP(cfg->window, 1, NB_LINK_WINDOW_LIMIT);
	link->ops = ops;
	link->ctx = ctx;
	nb_splitter_init(&link->splitter, rx_run, NB_FRAME_MAX_RUN(cfg->mtu));
	link->rx_raw = rx_raw;
	link->tx_raw = tx_raw;
	link->tx_wire = tx_wire;
	link->peer_win = 1;
	link->fast_base = -1;
	link->rto_ms = cfg->rto_initial_ms;
	link->stats.last_err = NB_FRAME_OK;
}

void nb_link_start(struct nb_link *link, int64_t now)
{
	link->synced = false;
	link->rst_pending = true;
	link->nonce = link->ops->random(link->ctx);
	link->rst_tries_left = link->cfg.boot_rst_tries;
	link->rst_next = now; /* first RST goes out at the next service */
}

/* ---------------------------------------------------------------- acknowledgements and RTO */

static void rtt_sample(struct nb_link *link, int32_t r)
{
	if (!link->have_rtt) {
		link->srtt_ms = r;
		link->rttvar_ms = r / 2;
		link->have_rtt = true;
	} else {
		int32_t dev = link->srtt_ms > r ? link->srtt_ms - r : r - link->srtt_ms;

		link->rttvar_ms = (3 * link->rttvar_ms + dev) / 4;
		link->srtt_ms = (7 * link->srtt_ms + r) / 8;
	}
	/* RFC 6298: RTO = SRTT + max(G, 4*RTTVAR); our clock granularity G is 1 ms. */
	int32_t rto = link->srtt_ms + MAX(1, 4 * link->rttvar_ms);

	link->rto_ms = CLAMP(rto, link->cfg.rto_min_ms, link->cfg.rto_max_ms);
}

static void process_ack(struct nb_link *link, uint8_t ack, int64_t now)
{
	uint8_t n = (uint8_t)(ack - link->tx_base);

	if (n == 0 || n > link->inflight_n) {
		return; /* nothing new, or stale */
	}

	int32_t sample = -1;

	for (uint8_t i = 0; i < n; i++) {
		struct nb_inflight *f = &link->ring[link->ring_head];

		/* Karn: only frames sent once give an unambiguous sample; the newest one wins. */
		sample = f->sends == 1 ? (int32_t)(now - f->sent_at) : sample;
		link->ops->tx_release(link->ctx, f->msg, true);
		f->msg = NULL;
		link->ring_head = (link->ring_head + 1) % NB_LINK_WINDOW_LIMIT;
	}
	link->inflight_n -= n;
	link->tx_base = ack;
	link->fast_base = -1;
	link->retries = 0;
	if (sample >= 0) {
		rtt_sample(link, sample);
	}
	link->rto_deadline = link->inflight_n > 0 ? now + link->rto_ms : 0;
}

/* ---------------------------------------------------------------- receive */

static void retransmit_all(struct nb_link *link, int64_t now);

static void on_frame(struct nb_link *link, const struct nb_frame_hdr *hdr, const uint8_t *payload,
		     size_t len, int64_t now)
{
	link->stats.frames_in++;

	switch (hdr->type) {
	case NB_FT_RST: {
		uint32_t nonce = sys_get_le32(payload);

		link->peer_win = hdr->win;
		/* A repeat of the RST we already answered (our RST_ACK was lost, or the line
		 * duplicated it) is answered again without a second reset: it would discard the
		 * new link's frames. */
		if (!(link->synced && link->peer_nonce_valid && nonce == link->peer_nonce)) {
			reset_state(link);
			link->peer_nonce = nonce;
			link->peer_nonce_valid = true;
		}
		send_rst(link, NB_FT_RST_ACK, nonce);
		return;
	}
	case NB_FT_RST_ACK:
		if (link->rst_pending && sys_get_le32(payload) == link->nonce) {
			link->peer_win = hdr->win;
			reset_state(link);
			link->peer_nonce_valid = false;
		}
		return;
	default:
		break;
	}

	if (!link->synced) {
		/* DATA or ACK of a link we do not know: ask the peer to reset, at a bounded rate. */
		if (hdr->type == NB_FT_DATA &&
		    (link->unsync_rst_at == 0 ||
		     now - link->unsync_rst_at >= link->cfg.rst_interval_ms)) {
			link->unsync_rst_at = now;
			if (!link->rst_pending) {
				link->rst_pending = true;
				link->nonce = link->ops->random(link->ctx);
				link->rst_tries_left = 0;
			}
			link->rst_next = now + link->cfg.rst_interval_ms;
			send_rst(link, NB_FT_RST, link->nonce);
		}
		return;
	}

	link->peer_win = hdr->win;
	process_ack(link, hdr->ack, now);
	if (hdr->win == 0) {
		link->retries = 0; /* a peer that answers with a closed window is alive: keep probing */
	}
	if (hdr->type == NB_FT_ACK && hdr->seq == NB_ACK_GAP && link->inflight_n > 0 &&
	    link->fast_base != link->tx_base) {
		/* The peer dropped a frame and everything after it: go back now, once per base,
		 * rather than at the timeout. A plain re-ack of a duplicate (seq 0) never does this. */
		link->fast_base = link->tx_base;
		retransmit_all(link, now);
		link->rto_deadline = now + link->rto_ms;
		return;
	}
	if (hdr->type != NB_FT_DATA) {
		return;
	}

	uint8_t behind = (uint8_t)(link->rx_expected - hdr->seq);

	if (behind == 0) {
		if (link->ops->deliver(link->ctx, payload, len)) {
			link->rx_expected++;
		} else {
			link->stats.rx_no_room++;
			link->refused = true;
		}
	} else if (behind <= NB_DUP_RANGE) {
		link->stats.duplicates++;
	} else {
		link->ack_gap = true; /* from the future: the frame we expect was lost */
	}
	/* In order, duplicate (its ack was lost) or from the future (go-back-N): ack at once. */
	link->ack_pending = true;
}

static void on_run(void *ctx, struct net_buf *run, size_t len)
{
	struct nb_link *link = ctx;
	struct nb_frame_hdr hdr;
	size_t plen;
	enum nb_frame_err err;

	if (run == NULL) {
		err = NB_FRAME_ERR_OVERSIZE;
	} else {
		err = nb_frame_decode(run, link->rx_raw, link->cfg.mtu, &hdr, &plen);
	}

	link->stats.last_err = err;
	switch (err) {
	case NB_FRAME_OK:
		break;
	case NB_FRAME_ERR_CRC:
		link->stats.crc_errors++;
		link->stats.garbage_bytes += len;
		return;
	case NB_FRAME_ERR_VERSION:
	case NB_FRAME_ERR_TYPE:
		link->stats.malformed++;
		return;
	default:
		link->stats.garbage_bytes += len;
		return;
	}
	on_frame(link, &hdr, link->rx_raw->data + NB_FRAME_HDR_LEN, plen, link->rx_now);
}

void nb_link_rx(struct nb_link *link, const uint8_t *data, size_t len, int64_t now)
{
	link->rx_now = now;
	nb_splitter_feed(&link->splitter, data, len, on_run, link);
	if (link->ack_pending) {
		(void)nb_link_service(link, now);
	}
}

/* ---------------------------------------------------------------- send */

static void send_data(struct nb_link *link, struct nb_inflight *f, uint8_t seq, int64_t now)
{
	f->sent_at = now;
	f->sends++;
	send_frame(link, NB_FT_DATA, seq, f->msg->data, f->msg->len);
}

static void retransmit_all(struct nb_link *link, int64_t now)
{
	for (uint8_t i = 0; i < link->inflight_n; i++) {
		struct nb_inflight *f = &link->ring[(link->ring_head + i) % NB_LINK_WINDOW_LIMIT];

		send_data(link, f, (uint8_t)(link->tx_base + i), now);
		link->stats.retransmits++;
	}
}

static void declare_dead(struct nb_link *link)
{
	/* The peer stopped acknowledging: forget the link; its next DATA gets an RST. */
	drop_inflight(link);
	link->ops->on_reset(link->ctx, true);
	link->synced = false;
	link->peer_nonce_valid = false;
	link->rst_pending = false;
	link->rto_deadline = 0;
	link->probe_at = 0;
	link->retries = 0;
	link->stats.dead++;
}

static uint8_t send_window(struct nb_link *link, int64_t now)
{
	uint8_t win = MIN(link->cfg.window, link->peer_win);

	if (win > 0 || link->inflight_n > 0) {
		link->probe_at = 0;
		return win;
	}
	/* Window closed with nothing in flight: probe with one frame per timeout. */
	if (link->probe_at == 0) {
		link->probe_at = now + link->rto_ms;
	}
	if (now >= link->probe_at) {
		link->probe_at = 0;
		return 1;
	}
	return 0;
}

int64_t nb_link_service(struct nb_link *link, int64_t now)
{
	int64_t next = INT64_MAX;

	if (link->rst_pending) {
		if (now >= link->rst_next) {
			send_rst(link, NB_FT_RST, link->nonce);
			link->rst_next = now + link->cfg.rst_interval_ms;
			if (link->rst_tries_left > 0 && --link->rst_tries_left == 0) {
				link->rst_pending = false; /* bounded boot RST: leave it to the peer */
			}
		}
		if (link->rst_pending) {
			next = link->rst_next;
		}
	}
	if (!link->synced) {
		return next;
	}

	if (link->rto_deadline != 0 && now >= link->rto_deadline) {
		if (++link->retries > link->cfg.max_retries) {
			declare_dead(link);
			return next;
		}
		link->rto_ms = MIN(link->rto_ms * 2, (int32_t)link->cfg.rto_max_ms);
		retransmit_all(link, now);
		link->rto_deadline = now + link->rto_ms;
	}

	uint8_t win = send_window(link, now);

	while (link->inflight_n < win) {
		struct nb_txmsg *msg = link->ops->tx_next(link->ctx);

		if (msg == NULL) {
			link->probe_at = 0;
			break;
		}
		struct nb_inflight *f =
			&link->ring[(link->ring_head + link->inflight_n) % NB_LINK_WINDOW_LIMIT];

		f->msg = msg;
		f->sends = 0;
		link->inflight_n++;
		send_data(link, f, link->tx_seq++, now);
		if (link->rto_deadline == 0) {
			link->rto_deadline = now + link->rto_ms;
		}
	}

	if (link->ack_pending) {
		send_frame(link, NB_FT_ACK, link->ack_gap ? NB_ACK_GAP : 0, NULL, 0);
	}

	if (link->rto_deadline != 0) {
		next = MIN(next, link->rto_deadline);
	}
	if (link->probe_at != 0) {
		next = MIN(next, link->probe_at);
	}
	return next;
}
