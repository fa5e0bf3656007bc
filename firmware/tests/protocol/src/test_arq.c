/*
 * The ARQ (PROTOCOL.md §1.3) between two nb_link instances over an in-memory line that can
 * drop, duplicate, corrupt and delay frames, on a simulated clock.
 */
#include <string.h>
#include <zephyr/ztest.h>

#include "common.h"

#define NMSG        60
#define MSG_LEN     24
#define LINE_SLOTS  512
#define LATENCY_MS  4
#define MAX_WIRE    64

extern const struct nb_link_config test_link_cfg;

struct line_frame {
	int64_t at;
	uint8_t len;
	uint8_t data[MAX_WIRE];
};

struct line {
	struct line_frame q[LINE_SLOTS];
	int n;
	uint32_t seed;
	int drop_pct, dup_pct, corrupt_pct;
	int dropped, duplicated, corrupted;
};

struct side {
	struct nb_link link;
	struct line *out; /* frames this side writes */
	int64_t now;
	/* transmit queue */
	uint8_t store[NMSG][sizeof(struct nb_txmsg) + MSG_LEN];
	int queued, next_tx;
	int acked, discarded;
	int inflight, max_inflight;
	/* receive side */
	int received;
	bool in_order;
	uint8_t room;
	int resets, deaths;
	uint32_t nonce;
};

static struct line ab, ba;
static struct side A, B;

static void line_put(struct line *l, const uint8_t *d, size_t n, int64_t now)
{
	int copies = 1;

	zassert_true(n <= MAX_WIRE);
	if ((int)(test_rand(&l->seed) % 100) < l->drop_pct) {
		l->dropped++;
		return;
	}
	if ((int)(test_rand(&l->seed) % 100) < l->dup_pct) {
		l->duplicated++;
		copies = 2;
	}
	for (int c = 0; c < copies && l->n < LINE_SLOTS; c++) {
		struct line_frame *f = &l->q[l->n++];

		f->at = now + LATENCY_MS + c;
		f->len = (uint8_t)n;
		memcpy(f->data, d, n);
		if ((int)(test_rand(&l->seed) % 100) < l->corrupt_pct) {
			f->data[2 + test_rand(&l->seed) % (n - 3)] ^= 0x10; /* inside the COBS run */
			l->corrupted++;
		}
	}
}

static void line_deliver(struct line *l, struct side *to, int64_t now)
{
	int keep = 0;

	for (int i = 0; i < l->n; i++) {
		if (l->q[i].at <= now) {
			nb_link_rx(&to->link, l->q[i].data, l->q[i].len, now);
		} else {
			l->q[keep++] = l->q[i];
		}
	}
	l->n = keep;
}

static void o_write(void *ctx, const uint8_t *d, size_t n)
{
	struct side *s = ctx;

	line_put(s->out, d, n, s->now);
}

static bool o_deliver(void *ctx, const uint8_t *p, size_t n)
{
	struct side *s = ctx;

	if (s->room == 0) {
		return false;
	}
	/* Messages carry their index: order and exactly-once are checked here. */
	if (n != MSG_LEN || p[0] != (uint8_t)s->received) {
		s->in_order = false;
	}
	s->received++;
	return true;
}

static uint8_t o_room(void *ctx)
{
	return ((struct side *)ctx)->room;
}

static struct nb_txmsg *o_next(void *ctx)
{
	struct side *s = ctx;

	if (s->next_tx >= s->queued) {
		return NULL;
	}
	struct nb_txmsg *m = (struct nb_txmsg *)s->store[s->next_tx];

	m->len = MSG_LEN;
	memset(m->data, 0xA5, MSG_LEN);
	m->data[0] = (uint8_t)s->next_tx;
	s->next_tx++;
	s->inflight++;
	s->max_inflight = MAX(s->max_inflight, s->inflight);
	return m;
}

static void o_release(void *ctx, struct nb_txmsg *m, bool acked)
{
	struct side *s = ctx;

	ARG_UNUSED(m);
	s->inflight--;
	if (acked) {
		s->acked++;
	} else {
		s->discarded++;
	}
}

static void o_reset(void *ctx, bool dead)
{
	struct side *s = ctx;

	s->resets++;
	s->deaths += dead ? 1 : 0;
}

static uint32_t o_random(void *ctx)
{
	struct side *s = ctx;

	return ++s->nonce;
}

static const struct nb_link_ops ops = {
	.write = o_write, .deliver = o_deliver, .rx_room = o_room, .tx_next = o_next,
	.tx_release = o_release, .on_reset = o_reset, .random = o_random,
};

static void setup_pair(uint8_t window, uint32_t seed)
{
	struct link_bufs la, lb;
	struct nb_link_config cfg = test_link_cfg;

	cfg.window = window;
	memset(&ab, 0, sizeof(ab));
	memset(&ba, 0, sizeof(ba));
	ab.seed = seed;
	ba.seed = seed * 7 + 1;
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	A.out = &ab;
	B.out = &ba;
	A.in_order = B.in_order = true;
	A.room = B.room = 4;
	A.nonce = 1000;
	B.nonce = 2000;
	link_bufs_get(1, &la);
	link_bufs_get(2, &lb);
	nb_link_init(&A.link, &cfg, &ops, &A, la.b[0], la.b[1], la.b[2], la.b[3]);
	nb_link_init(&B.link, &cfg, &ops, &B, lb.b[0], lb.b[1], lb.b[2], lb.b[3]);
}

/* Runs the simulated clock until both sides have everything acked or the time is up. */
static int64_t run(int64_t until, bool b_alive)
{
	int64_t t;

	for (t = A.now; t < until; t++) {
		A.now = B.now = t;
		line_deliver(&ba, &A, t);
		if (b_alive) {
			line_deliver(&ab, &B, t);
		} else {
			ab.n = 0; /* nobody listens */
		}
		(void)nb_link_service(&A.link, t);
		if (b_alive) {
			(void)nb_link_service(&B.link, t);
		}
		if (A.acked + A.discarded == A.queued && B.acked + B.discarded == B.queued &&
		    A.next_tx == A.queued && B.next_tx == B.queued && nb_link_synced(&A.link) &&
		    nb_link_synced(&B.link) && ab.n == 0 && ba.n == 0) {
			break;
		}
	}
	return t;
}

ZTEST(arq, test_clean_line_delivers_everything_in_order)
{
	setup_pair(4, 1);
	A.queued = B.queued = NMSG;
	nb_link_start(&A.link, 0); /* the board boots */
	nb_link_start(&B.link, 0); /* the host opens the port */
	int64_t t = run(10000, true);

	zassert_true(t < 10000, "did not finish");
	zassert_equal(B.received, NMSG);
	zassert_equal(A.received, NMSG);
	zassert_true(A.in_order && B.in_order);
	zassert_equal(A.link.stats.retransmits + B.link.stats.retransmits, 0);
	zassert_true(A.max_inflight <= 4 && B.max_inflight <= 4, "window exceeded: %d %d",
		     A.max_inflight, B.max_inflight);
	zassert_true(A.max_inflight > 1, "never pipelined");
}

ZTEST(arq, test_lossy_line_recovers_with_retransmission)
{
	for (uint32_t seed = 1; seed <= 5; seed++) {
		setup_pair(4, seed);
		ab.drop_pct = ba.drop_pct = 20;
		ab.dup_pct = ba.dup_pct = 10;
		ab.corrupt_pct = ba.corrupt_pct = 5;
		/* Both start at once (board boot, host open), over the bad line. */
		nb_link_start(&A.link, 0);
		nb_link_start(&B.link, 0);
		(void)run(20000, true);
		zassert_true(nb_link_synced(&A.link) && nb_link_synced(&B.link), "seed %u", seed);
		A.queued = B.queued = NMSG;
		int64_t t = run(A.now + 120000, true);

		zassert_equal(A.discarded + B.discarded, 0, "seed %u: discarded", seed);
		zassert_true(t < A.now + 120000,
			     "seed %u: stuck (A got %d, B got %d; A sent %d acked %d, B sent %d acked "
			     "%d; synced %d %d; dead %d %d; exp %u %u base %u %u inflight %u %u)",
			     seed, A.received, B.received, A.next_tx, A.acked, B.next_tx, B.acked,
			     A.link.synced, B.link.synced, A.deaths, B.deaths, A.link.rx_expected,
			     B.link.rx_expected, A.link.tx_base, B.link.tx_base, A.link.inflight_n,
			     B.link.inflight_n);
		zassert_equal(B.received, NMSG, "seed %u", seed);
		zassert_equal(A.received, NMSG, "seed %u", seed);
		zassert_true(A.in_order && B.in_order, "seed %u: out of order or repeated", seed);
		zassert_true(A.link.stats.retransmits + B.link.stats.retransmits > 0);
		zassert_true(A.link.stats.duplicates + B.link.stats.duplicates > 0);
		zassert_true(A.link.stats.crc_errors + B.link.stats.crc_errors +
				     A.link.stats.garbage_bytes + B.link.stats.garbage_bytes > 0);
		zassert_equal(A.deaths + B.deaths, 0, "seed %u: declared dead", seed);
	}
}

ZTEST(arq, test_data_while_unsynchronised_gets_rst)
{
	setup_pair(4, 3);
	/* B believes in a link A never agreed to (A rebooted): B's DATA must draw an RST. */
	B.link.synced = true;
	B.queued = 1;
	(void)nb_link_service(&B.link, 0);
	zassert_equal(ba.n, 1, "B sent its DATA");
	A.now = LATENCY_MS;
	line_deliver(&ba, &A, LATENCY_MS);
	zassert_equal(A.received, 0, "delivered without a link");
	zassert_equal(ab.n, 1, "A answered");

	uint8_t rst_type = 0;
	struct nb_splitter sp;
	struct link_bufs lb;

	link_bufs_get(0, &lb);
	nb_splitter_init(&sp, lb.b[0], NB_FRAME_MAX_RUN(TEST_MTU));
	/* Decode A's answer by hand. */
	net_buf_reset(lb.b[1]);
	net_buf_add_mem(lb.b[1], ab.q[0].data + 1, ab.q[0].len - 2);
	struct nb_frame_hdr hdr;
	size_t plen;

	zassert_equal(nb_frame_decode(lb.b[1], lb.b[2], TEST_MTU, &hdr, &plen), NB_FRAME_OK);
	rst_type = hdr.type;
	zassert_equal(rst_type, NB_FT_RST);
	/* The handshake completes; B's frame belonged to the old link and is discarded. */
	int64_t t = run(5000, true);

	zassert_true(t < 5000);
	zassert_true(nb_link_synced(&A.link));
	zassert_equal(B.discarded, 1);
	zassert_equal(A.received, 0);
	/* The next message goes through on the new link. */
	B.queued = 2;
	A.in_order = true;
	(void)run(A.now + 5000, true);
	zassert_equal(A.received, 1, "the message after the resync");
	zassert_equal(B.acked, 1);
}

ZTEST(arq, test_silent_peer_is_declared_dead_and_buffers_released)
{
	setup_pair(4, 4);
	A.queued = 3;
	nb_link_start(&B.link, 0);
	/* Handshake first, then B goes silent. */
	(void)nb_link_service(&B.link, 0);
	A.now = LATENCY_MS;
	line_deliver(&ba, &A, LATENCY_MS);
	zassert_true(nb_link_synced(&A.link));
	(void)run(60000, false);
	zassert_equal(A.deaths, 1, "not declared dead");
	zassert_false(nb_link_synced(&A.link));
	zassert_equal(A.discarded, 3, "in-flight buffers not released");
	zassert_equal(A.inflight, 0);
	zassert_equal(A.link.stats.retransmits, 3 * test_link_cfg.max_retries);
}

ZTEST(arq, test_zero_window_pauses_then_resumes)
{
	setup_pair(4, 5);
	B.room = 0; /* B cannot take anything */
	A.queued = 10;
	nb_link_start(&B.link, 0);
	(void)run(3000, true);
	/* Only probes: at most one frame outstanding, none delivered. */
	zassert_equal(B.received, 0);
	zassert_true(A.max_inflight <= 1, "sent %d frames into a closed window", A.max_inflight);
	B.room = 4;
	nb_link_window_update(&B.link);
	(void)run(A.now + 20000, true);
	zassert_equal(B.received, 10);
	zassert_equal(A.deaths, 0, "a closed window is not a dead peer");
	zassert_true(B.in_order);
}

ZTEST(arq, test_rst_discards_old_frames_and_restarts_numbering)
{
	setup_pair(4, 6);
	A.queued = B.queued = 5;
	nb_link_start(&A.link, 0);
	nb_link_start(&B.link, 0);
	(void)run(5000, true);
	zassert_equal(B.received, 5);
	uint32_t resyncs = A.link.stats.resyncs;

	/* The host reopens the port: a fresh RST resets both sides' numbering. */
	nb_link_start(&B.link, A.now);
	(void)run(A.now + 5000, true);
	zassert_true(A.link.stats.resyncs > resyncs);
	zassert_equal(A.link.tx_seq, 0, "numbering restarted");
	A.queued = 8;
	B.queued = 8;
	(void)run(A.now + 5000, true);
	zassert_equal(B.received, 8, "B got %d; A sent %d acked %d discarded %d; synced %d %d",
		      B.received, A.next_tx, A.acked, A.discarded, A.link.synced, B.link.synced);
	zassert_true(B.in_order);
}

/* Syncs A and B on a clean line with nothing queued; returns the time reached. */
static int64_t sync_pair(uint32_t seed)
{
	setup_pair(4, seed);
	nb_link_start(&A.link, 0);
	nb_link_start(&B.link, 0);
	return run(2000, true);
}

/* Delivers what is on line l to side to at time t (both clocks moved there). */
static void deliver_at(struct line *l, struct side *to, int64_t t)
{
	A.now = B.now = t;
	line_deliver(l, to, t);
}

ZTEST(arq, test_gap_ack_makes_the_sender_go_back_at_once)
{
	int64_t t = sync_pair(7);

	zassert_true(nb_link_synced(&A.link) && nb_link_synced(&B.link));
	A.queued = 3;
	A.now = B.now = ++t;
	(void)nb_link_service(&A.link, t);
	zassert_equal(ab.n, 3, "three DATA frames on the line");
	/* The first is lost: B sees seq 1 and 2 from the future and answers with a gap ACK. */
	memmove(&ab.q[0], &ab.q[1], 2 * sizeof(ab.q[0]));
	ab.n = 2;
	deliver_at(&ab, &B, t + LATENCY_MS);
	zassert_equal(B.received, 0);
	zassert_true(ba.n >= 1, "B acknowledged");
	/* A goes back on the gap ACK, long before its retransmission timeout. */
	uint32_t before = A.link.stats.retransmits;

	deliver_at(&ba, &A, t + 2 * LATENCY_MS);
	zassert_equal(A.link.stats.retransmits - before, 3, "went back %u frames",
		      A.link.stats.retransmits - before);
	zassert_true(t + 2 * LATENCY_MS < A.link.rto_deadline, "not the timer");
	(void)run(A.now + 2000, true);
	zassert_equal(B.received, 3);
	zassert_true(B.in_order);
}

ZTEST(arq, test_reacking_a_duplicate_does_not_make_the_sender_go_back)
{
	int64_t t = sync_pair(8);

	A.queued = 2;
	A.now = B.now = ++t;
	(void)nb_link_service(&A.link, t);
	zassert_equal(ab.n, 2);
	/* The line duplicates both frames: B delivers each once and re-acknowledges the copies. */
	ab.q[2] = ab.q[0];
	ab.q[3] = ab.q[1];
	ab.n = 4;
	deliver_at(&ab, &B, t + LATENCY_MS);
	zassert_equal(B.received, 2);
	zassert_equal(B.link.stats.duplicates, 2);
	/* Meanwhile A sends two more; then B's acks arrive, the later ones acknowledging nothing new. */
	A.queued = 4;
	A.now = B.now = t + LATENCY_MS + 1;
	(void)nb_link_service(&A.link, A.now);
	deliver_at(&ba, &A, t + 2 * LATENCY_MS + 1);
	zassert_equal(A.acked, 2);
	zassert_equal(A.link.stats.retransmits, 0, "went back on a plain re-ack");
	(void)run(A.now + 2000, true);
	zassert_equal(B.received, 4);
	zassert_true(B.in_order);
}

ZTEST_SUITE(arq, NULL, NULL, NULL, NULL, NULL);
