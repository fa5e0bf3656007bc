/*
 * libFuzzer harness for the board's receive path, built on the host around the firmware's own
 * sources (nb_frame.c, nb_link.c, nb_msg.c) plus Zephyr's cobs.c and crc32_sw.c and zcbor, with
 * small shims for the Zephyr headers (shim/). Built and run by scripts/fuzz.sh under ASan + UBSan.
 *
 * The first input byte picks what the rest is (so the corpus can hold each kind):
 *   0  bytes from the line, fed in pieces into a link (splitter, COBS, CRC, ARQ), every delivered
 *      payload going through the message layer and PINGs answered through the encoder;
 *   1  one DATA payload: message decode and every request-body decoder;
 *   2  one run between delimiters: frame decode with a small and the default MTU;
 *   3  a frame to build: encode then split and decode again, which must give the same frame back.
 * Besides the sanitizers, properties abort: a decoded body points inside the payload, an answer
 * the board encodes decodes as a message, encode-decode round-trips.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/sys/util.h>

#include "nb_frame.h"
#include "nb_link.h"
#include "nb_msg.h"

#define FUZZ_MTU 1024
#define TX_POOL 4

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__,    \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---------------------------------------------------------------- message layer */

/* Field tables shaped like the CDDL's request bodies: every field type and bound kind. */
static const struct nb_field sock_fields[] = {
	{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
	{.key = 2, .type = NB_FIELD_ANY, .required = false},
	{.key = 3, .type = NB_FIELD_UINT, .max = 0xffff},
	{.key = 4, .type = NB_FIELD_INT},
	{.key = 5, .type = NB_FIELD_BOOL},
	{.key = 6, .type = NB_FIELD_TSTR, .min = 1, .max = 64},
	{.key = 7, .type = NB_FIELD_BSTR, .max = FUZZ_MTU},
};
static const struct nb_field sockaddr_fields[] = {
	{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = 255},
	{.key = 2, .type = NB_FIELD_BSTR, .required = true, .min = 4, .max = 16},
	{.key = 3, .type = NB_FIELD_UINT, .max = 0xffff},
	{.key = 4, .type = NB_FIELD_UINT, .max = UINT32_MAX},
};

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_values(const struct nb_field *f, const struct nb_value *v, size_t n,
			 const uint8_t *body, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i].present) {
			continue;
		}
		if (f[i].type == NB_FIELD_BSTR || f[i].type == NB_FIELD_TSTR ||
		    f[i].type == NB_FIELD_ANY) {
			CHECK(inside(v[i].s.ptr, v[i].s.len, body, len));
			if (f[i].max != 0 && f[i].type != NB_FIELD_ANY) {
				CHECK(v[i].s.len <= f[i].max && v[i].s.len >= f[i].min);
			}
		}
		if (f[i].type == NB_FIELD_UINT && f[i].max != 0) {
			CHECK(v[i].u <= f[i].max);
		}
	}
}

static uint8_t answer_buf[FUZZ_MTU];

static void decode_bodies(const uint8_t *body, size_t len)
{
	struct nb_body_error err;
	struct nb_hello_req hello;
	struct nb_bytes_req bytes;
	struct nb_value v[ARRAY_SIZE(sock_fields)];
	struct nb_value sa[ARRAY_SIZE(sockaddr_fields)];

	if (nb_msg_decode_hello_req(body, len, &hello, &err) == 0) {
		CHECK(err.why == NULL);
	}
	if (nb_msg_decode_ping_req(body, len, &bytes, &err) == 0 && bytes.present) {
		CHECK(inside(bytes.ptr, bytes.len, body, len));
	}
	if (nb_msg_decode_sink_req(body, len, &bytes, &err) == 0) {
		CHECK(bytes.present && inside(bytes.ptr, bytes.len, body, len));
	}
	if (nb_body_decode(body, len, sock_fields, v, ARRAY_SIZE(sock_fields), &err) == 0) {
		check_values(sock_fields, v, ARRAY_SIZE(sock_fields), body, len);
		/* A nested sockaddr, as BIND/CONNECT decode it from an ANY field. */
		if (v[1].present &&
		    nb_body_decode(v[1].s.ptr, v[1].s.len, sockaddr_fields, sa,
				   ARRAY_SIZE(sockaddr_fields), &err) == 0) {
			check_values(sockaddr_fields, sa, ARRAY_SIZE(sockaddr_fields), v[1].s.ptr,
				     v[1].s.len);
		}
	} else {
		CHECK(err.why != NULL);
	}
}

/* Decodes a payload as the board does; answers a PING into answer_buf. Returns the answer's size. */
static size_t handle_payload(const uint8_t *payload, size_t len)
{
	struct nb_msg msg;

	if (nb_msg_decode(payload, len, &msg) != 0) {
		return 0;
	}
	CHECK(msg.kind <= NB_KIND_NTF);
	CHECK(inside(msg.body, msg.body_len, payload, len));
	decode_bodies(msg.body, msg.body_len);

	size_t out = 0;
	struct nb_bytes_req echo;
	struct nb_body_error err;
	int rc;

	if (msg.op == NB_OP_PING && nb_msg_decode_ping_req(msg.body, msg.body_len, &echo, &err) == 0) {
		rc = nb_msg_encode_ping_rsp(answer_buf, sizeof(answer_buf), msg.id,
					    echo.present ? echo.ptr : NULL, echo.len, &out);
		CHECK(rc == 0 || echo.len > sizeof(answer_buf) - 16);
	} else {
		/* An ERR whose extack is text from the request (cut to fit). */
		char extack[48];
		size_t n = MIN(msg.body_len, sizeof(extack) - 1);

		for (size_t i = 0; i < n; i++) {
			extack[i] = (char)(msg.body[i] ? msg.body[i] : '?');
		}
		extack[n] = '\0';
		rc = nb_msg_encode_err(answer_buf, sizeof(answer_buf), msg.op, msg.id, EINVAL,
				       extack, err.key, &out);
		CHECK(rc == 0);
	}
	if (rc == 0) {
		struct nb_msg back;

		CHECK(out <= sizeof(answer_buf));
		CHECK(nb_msg_decode(answer_buf, out, &back) == 0);
		CHECK(back.id == msg.id && back.op == msg.op);
	} else {
		out = 0;
	}
	return out;
}

/* ---------------------------------------------------------------- link */

/* Storage for queued answers: an nb_txmsg header and its data. */
static _Alignas(8) uint8_t slot_mem[TX_POOL][sizeof(struct nb_txmsg) + FUZZ_MTU];

static struct nb_txmsg *slot(int i)
{
	return (struct nb_txmsg *)slot_mem[i];
}

struct fuzz_board {
	bool used[TX_POOL];
	bool queued[TX_POOL];
	size_t wire_bytes;
	uint32_t rand_state;
	uint8_t room;
};

static void fb_write(void *ctx, const uint8_t *data, size_t len)
{
	struct fuzz_board *fb = ctx;

	CHECK(len <= NB_FRAME_MAX_WIRE(FUZZ_MTU));
	CHECK(len >= 2 && data[0] == 0 && data[len - 1] == 0);
	fb->wire_bytes += len;
}

static bool fb_deliver(void *ctx, const uint8_t *payload, size_t len)
{
	struct fuzz_board *fb = ctx;

	CHECK(len <= FUZZ_MTU);
	if (fb->room == 0) {
		return false;
	}
	size_t n = handle_payload(payload, len);

#ifdef FUZZ_TRACE
	fprintf(stderr, "delivered %zu-byte payload, answer %zu bytes\n", len, n);
#endif
	if (n == 0) {
		return true;
	}
	for (int i = 0; i < TX_POOL; i++) {
		if (!fb->used[i]) {
			fb->used[i] = true;
			fb->queued[i] = true;
			slot(i)->len = (uint16_t)n;
			slot(i)->cap = FUZZ_MTU;
			memcpy(slot(i)->data, answer_buf, n);
			return true;
		}
	}
	return true; /* pool full: the answer is dropped, as a full tx queue would count it */
}

static uint8_t fb_rx_room(void *ctx)
{
	return ((struct fuzz_board *)ctx)->room;
}

static struct nb_txmsg *fb_tx_next(void *ctx)
{
	struct fuzz_board *fb = ctx;

	for (int i = 0; i < TX_POOL; i++) {
		if (fb->queued[i]) {
			fb->queued[i] = false;
			return slot(i);
		}
	}
	return NULL;
}

static void fb_tx_release(void *ctx, struct nb_txmsg *msg, bool acked)
{
	struct fuzz_board *fb = ctx;

	(void)acked;
	for (int i = 0; i < TX_POOL; i++) {
		if (msg == slot(i)) {
			CHECK(fb->used[i] && !fb->queued[i]); /* released once, after being taken */
			fb->used[i] = false;
			return;
		}
	}
	CHECK(false);
}

static void fb_on_reset(void *ctx, bool dead)
{
	(void)ctx;
	(void)dead;
}

static uint32_t fb_random(void *ctx)
{
	struct fuzz_board *fb = ctx;

	fb->rand_state = fb->rand_state * 1103515245u + 12345u;
	return fb->rand_state;
}

static const struct nb_link_ops fb_ops = {
	.write = fb_write,
	.deliver = fb_deliver,
	.rx_room = fb_rx_room,
	.tx_next = fb_tx_next,
	.tx_release = fb_tx_release,
	.on_reset = fb_on_reset,
	.random = fb_random,
};

static uint8_t rx_run_mem[NB_FRAME_MAX_RUN(FUZZ_MTU)];
static uint8_t rx_raw_mem[NB_FRAME_MAX_RUN(FUZZ_MTU)];
static uint8_t tx_raw_mem[NB_FRAME_MAX_LEN(FUZZ_MTU)];
static uint8_t tx_wire_mem[NB_FRAME_MAX_WIRE(FUZZ_MTU)];

static void fuzz_link(const uint8_t *data, size_t size)
{
	static struct fuzz_board fb;
	static struct nb_link link;
	struct net_buf rx_run, rx_raw, tx_raw, tx_wire;
	const struct nb_link_config cfg = {
		.mtu = FUZZ_MTU,
		.window = 4,
		.rto_min_ms = 20,
		.rto_initial_ms = 100,
		.rto_max_ms = 1000,
		.max_retries = 4,
		.rst_interval_ms = 250,
		.boot_rst_tries = 0,
	};

	memset(&fb, 0, sizeof(fb));
	fb.room = 4;
	net_buf_shim_init(&rx_run, rx_run_mem, sizeof(rx_run_mem));
	net_buf_shim_init(&rx_raw, rx_raw_mem, sizeof(rx_raw_mem));
	net_buf_shim_init(&tx_raw, tx_raw_mem, sizeof(tx_raw_mem));
	net_buf_shim_init(&tx_wire, tx_wire_mem, sizeof(tx_wire_mem));
	nb_link_init(&link, &cfg, &fb_ops, &fb, &rx_run, &rx_raw, &tx_raw, &tx_wire);

	int64_t now = 1000;

	nb_link_start(&link, now);
	/* Pieces: a length byte, then that many line bytes; between pieces the clock moves on. */
	size_t i = 0;

	while (i < size) {
		size_t piece = MIN((size_t)data[i] + 1, size - i - 1);
		uint8_t tick = data[i];

		i++;
		nb_link_rx(&link, data + i, piece, now);
		i += piece;
		fb.room = (uint8_t)(tick & 7); /* the message layer's room comes and goes */
		now += tick & 0x3f ? (tick & 0x3f) : 300;
		(void)nb_link_service(&link, now);
		CHECK(link.inflight_n <= NB_LINK_WINDOW_LIMIT);
		CHECK(rx_run.len <= sizeof(rx_run_mem));
	}
	/* Let every timer run out: retransmissions, then the link declared dead. */
	for (int k = 0; k < 64; k++) {
		now += 1000;
		nb_link_service(&link, now);
	}
}

/* ---------------------------------------------------------------- frames */

static void fuzz_run(const uint8_t *data, size_t size)
{
	static uint8_t run_mem[NB_FRAME_MAX_RUN(FUZZ_MTU) + 64];
	static uint8_t raw_mem[NB_FRAME_MAX_RUN(FUZZ_MTU) + 64];
	const size_t mtus[] = {16, FUZZ_MTU};

	for (size_t m = 0; m < ARRAY_SIZE(mtus); m++) {
		struct net_buf run, raw;
		struct nb_frame_hdr hdr;
		size_t payload_len = 0;

		net_buf_shim_init(&run, run_mem, sizeof(run_mem));
		net_buf_shim_init(&raw, raw_mem, (uint16_t)NB_FRAME_MAX_RUN(mtus[m]));
		net_buf_add_mem(&run, data, MIN(size, sizeof(run_mem)));
		enum nb_frame_err e = nb_frame_decode(&run, &raw, mtus[m], &hdr, &payload_len);

		CHECK(nb_frame_err_name(e)[0] != '?');
		if (e == NB_FRAME_OK) {
			CHECK(payload_len <= mtus[m]);
			CHECK(payload_len + NB_FRAME_MIN_LEN == raw.len);
			if (hdr.type == NB_FT_DATA) {
				(void)handle_payload(raw.data + NB_FRAME_HDR_LEN, payload_len);
			}
		}
	}
}

struct split_ctx {
	int runs;
	struct nb_frame_hdr hdr;
	size_t payload_len;
	enum nb_frame_err err;
	uint8_t payload[FUZZ_MTU];
};

static void on_run(void *ctx, struct net_buf *run, size_t len)
{
	static uint8_t raw_mem[NB_FRAME_MAX_RUN(FUZZ_MTU)];
	struct split_ctx *sc = ctx;
	struct net_buf raw;

	sc->runs++;
	CHECK(run != NULL && run->len == len);
	net_buf_shim_init(&raw, raw_mem, sizeof(raw_mem));
	sc->err = nb_frame_decode(run, &raw, FUZZ_MTU, &sc->hdr, &sc->payload_len);
	if (sc->err == NB_FRAME_OK) {
		memcpy(sc->payload, raw.data + NB_FRAME_HDR_LEN, sc->payload_len);
	}
}

static void fuzz_encode(const uint8_t *data, size_t size)
{
	static uint8_t raw_mem[NB_FRAME_MAX_LEN(FUZZ_MTU)];
	static uint8_t wire_mem[NB_FRAME_MAX_WIRE(FUZZ_MTU)];
	static uint8_t split_mem[NB_FRAME_MAX_RUN(FUZZ_MTU)];
	static struct split_ctx sc;

	if (size < 4) {
		return;
	}
	struct nb_frame_hdr hdr = {.type = NB_FT_DATA, .seq = data[1], .ack = data[2], .win = data[3]};
	const uint8_t *payload = data + 4;
	size_t len = MIN(size - 4, (size_t)FUZZ_MTU);

	/* Control frames carry what their type allows. */
	switch (data[0] & 3) {
	case 1:
		hdr.type = NB_FT_ACK;
		len = 0;
		break;
	case 2:
		hdr.type = NB_FT_RST;
		len = MIN(len, (size_t)NB_RST_NONCE_LEN);
		break;
	default:
		break;
	}
	if (hdr.type == NB_FT_RST && len < NB_RST_NONCE_LEN) {
		return;
	}
	struct net_buf raw, wire, split;

	net_buf_shim_init(&raw, raw_mem, sizeof(raw_mem));
	net_buf_shim_init(&wire, wire_mem, sizeof(wire_mem));
	CHECK(nb_frame_encode(&hdr, payload, len, &raw, &wire) == 0);
	CHECK(wire.len <= NB_FRAME_MAX_WIRE(len));
	CHECK(wire.data[0] == 0 && wire.data[wire.len - 1] == 0);
	CHECK(memchr(wire.data + 1, 0, wire.len - 2) == NULL);

	struct nb_splitter sp;

	memset(&sc, 0, sizeof(sc));
	net_buf_shim_init(&split, split_mem, sizeof(split_mem));
	nb_splitter_init(&sp, &split, NB_FRAME_MAX_RUN(FUZZ_MTU));
	nb_splitter_feed(&sp, wire.data, wire.len, on_run, &sc);
	CHECK(sc.runs == 1);
	CHECK(sc.err == NB_FRAME_OK);
	CHECK(sc.hdr.type == hdr.type && sc.hdr.seq == hdr.seq && sc.hdr.ack == hdr.ack &&
	      sc.hdr.win == hdr.win);
	CHECK(sc.payload_len == len && memcmp(sc.payload, payload, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	const uint8_t *rest = data + 1;
	size_t n = size - 1;

	switch (data[0] & 3) {
	case 0:
		fuzz_link(rest, n);
		break;
	case 1:
		(void)handle_payload(rest, n);
		break;
	case 2:
		fuzz_run(rest, n);
		break;
	default:
		fuzz_encode(rest, n);
		break;
	}
	return 0;
}
