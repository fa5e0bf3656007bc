/*
 * The golden vectors (proto/vectors/frames.json) through the firmware's own frame, link and
 * message code: parse, re-encode byte for byte, reject with the right counter.
 */
#include <string.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/ztest.h>

#include "common.h"
#include "nb_msg.h"
#include "vectors.h"

BUILD_ASSERT(VEC_MTU == TEST_MTU, "the tests run with the vectors' MTU");

static const struct vec_value *vget(const struct vec_value *map, uint32_t key)
{
	if (map == NULL || map->type != VT_MAP) {
		return NULL;
	}
	for (size_t i = 0; i < map->len; i++) {
		if (map->keys[i] == key) {
			return &map->items[i];
		}
	}
	return NULL;
}

static uint64_t vuint(const struct vec_value *map, uint32_t key)
{
	const struct vec_value *v = vget(map, key);

	zassert_not_null(v, "key %u missing", key);
	zassert_equal(v->type, VT_UINT, "key %u is not a uint", key);
	return v->u;
}

static int64_t vint(const struct vec_value *map, uint32_t key)
{
	const struct vec_value *v = vget(map, key);

	zassert_not_null(v, "key %u missing", key);
	zassert_true(v->type == VT_UINT || v->type == VT_NINT, "key %u is not an int", key);
	return v->type == VT_UINT ? (int64_t)v->u : -1 - (int64_t)v->u;
}

/* A NUL-terminated copy of a text value (static storage, one per slot). */
static const char *vtext(const struct vec_value *map, uint32_t key, int slot)
{
	static char buf[4][128];
	const struct vec_value *v = vget(map, key);

	zassert_not_null(v, "key %u missing", key);
	zassert_equal(v->type, VT_TEXT);
	zassert_true(v->len < sizeof(buf[0]));
	memcpy(buf[slot], v->bytes, v->len);
	buf[slot][v->len] = '\0';
	return buf[slot];
}

static const struct vec_valid *find_valid(const char *name)
{
	for (size_t i = 0; i < VEC_VALID_COUNT; i++) {
		if (strcmp(vec_valid[i].name, name) == 0) {
			return &vec_valid[i];
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- frame level */

struct runs {
	int count;
	size_t len;
	uint8_t data[NB_FRAME_MAX_WIRE(TEST_MTU)];
	bool oversize;
};

static void collect_run(void *ctx, struct net_buf *run, size_t len)
{
	struct runs *r = ctx;

	r->count++;
	r->len = len;
	r->oversize = run == NULL;
	if (run != NULL) {
		memcpy(r->data, run->data, run->len);
	}
}

ZTEST(vectors, test_present)
{
	zassert_true(VEC_VALID_COUNT >= 10, "too few valid vectors: %d", VEC_VALID_COUNT);
	zassert_true(VEC_INVALID_COUNT >= 5, "too few invalid vectors: %d", VEC_INVALID_COUNT);
}

ZTEST(vectors, test_valid_wire_parses_to_frame_and_payload)
{
	struct link_bufs lb;

	link_bufs_get(0, &lb);
	for (size_t i = 0; i < VEC_VALID_COUNT; i++) {
		const struct vec_valid *v = &vec_valid[i];
		static struct runs r;
		struct nb_splitter sp;
		struct nb_frame_hdr hdr;
		size_t plen;

		memset(&r, 0, sizeof(r));
		nb_splitter_init(&sp, lb.b[0], NB_FRAME_MAX_RUN(TEST_MTU));
		nb_splitter_feed(&sp, v->wire, v->wire_len, collect_run, &r);
		zassert_equal(r.count, 1, "%s: %d runs", v->name, r.count);
		zassert_false(r.oversize, "%s: oversize", v->name);

		net_buf_reset(lb.b[1]);
		net_buf_add_mem(lb.b[1], r.data, r.len);
		enum nb_frame_err err = nb_frame_decode(lb.b[1], lb.b[2], TEST_MTU, &hdr, &plen);

		zassert_equal(err, NB_FRAME_OK, "%s: %s", v->name, nb_frame_err_name(err));
		zassert_equal(hdr.type, v->ftype, "%s: type", v->name);
		zassert_equal(hdr.seq, v->seq, "%s: seq", v->name);
		zassert_equal(hdr.ack, v->ack, "%s: ack", v->name);
		zassert_equal(hdr.win, v->win, "%s: win", v->name);
		zassert_equal(plen, v->payload_len, "%s: payload length %zu", v->name, plen);
		zassert_mem_equal(lb.b[2]->data + NB_FRAME_HDR_LEN, v->payload, plen, "%s", v->name);
	}
}

ZTEST(vectors, test_valid_frame_encodes_to_wire)
{
	struct link_bufs lb;

	link_bufs_get(0, &lb);
	for (size_t i = 0; i < VEC_VALID_COUNT; i++) {
		const struct vec_valid *v = &vec_valid[i];
		struct nb_frame_hdr hdr = {.type = v->ftype, .seq = v->seq, .ack = v->ack, .win = v->win};

		zassert_ok(nb_frame_encode(&hdr, v->payload, v->payload_len, lb.b[0], lb.b[1]),
			   "%s", v->name);
		zassert_equal(lb.b[1]->len, v->wire_len, "%s: %u bytes, want %zu", v->name,
			      lb.b[1]->len, v->wire_len);
		zassert_mem_equal(lb.b[1]->data, v->wire, v->wire_len, "%s", v->name);
	}
}

/* ---------------------------------------------------------------- invalid vectors via a link */

struct sink {
	int delivered;
	size_t len;
	uint8_t payload[TEST_MTU];
};

static void s_write(void *ctx, const uint8_t *d, size_t n)
{
	ARG_UNUSED(ctx);
	ARG_UNUSED(d);
	ARG_UNUSED(n);
}
static bool s_deliver(void *ctx, const uint8_t *p, size_t n)
{
	struct sink *s = ctx;

	s->delivered++;
	s->len = n;
	memcpy(s->payload, p, n);
	return true;
}
static uint8_t s_room(void *ctx)
{
	ARG_UNUSED(ctx);
	return 4;
}
static struct nb_txmsg *s_next(void *ctx)
{
	ARG_UNUSED(ctx);
	return NULL;
}
static void s_release(void *ctx, struct nb_txmsg *m, bool acked)
{
	ARG_UNUSED(ctx);
	ARG_UNUSED(m);
	ARG_UNUSED(acked);
}
static void s_reset(void *ctx, bool dead)
{
	ARG_UNUSED(ctx);
	ARG_UNUSED(dead);
}
static uint32_t s_random(void *ctx)
{
	ARG_UNUSED(ctx);
	return 0x12345678;
}

static const struct nb_link_ops sink_ops = {
	.write = s_write, .deliver = s_deliver, .rx_room = s_room, .tx_next = s_next,
	.tx_release = s_release, .on_reset = s_reset, .random = s_random,
};

const struct nb_link_config test_link_cfg = {
	.mtu = TEST_MTU, .window = 8, .rto_min_ms = 30, .rto_initial_ms = 100, .rto_max_ms = 2000,
	.max_retries = 8, .rst_interval_ms = 250, .boot_rst_tries = 0,
};

static enum nb_frame_err err_by_name(const char *name)
{
	for (int e = NB_FRAME_OK; e <= NB_FRAME_ERR_TYPE; e++) {
		if (strcmp(nb_frame_err_name(e), name) == 0) {
			return e;
		}
	}
	return NB_FRAME_OK;
}

ZTEST(vectors, test_invalid_rejected_with_matching_counter)
{
	const struct vec_valid *rst = find_valid("rst");
	struct link_bufs lb;

	zassert_not_null(rst, "the vectors have an RST");
	for (size_t i = 0; i < VEC_INVALID_COUNT; i++) {
		const struct vec_invalid *v = &vec_invalid[i];
		static struct nb_link link;
		static struct sink sink;
		bool message_level = strcmp(v->error, "MALFORMED") == 0;

		memset(&sink, 0, sizeof(sink));
		link_bufs_get(0, &lb);
		nb_link_init(&link, &test_link_cfg, &sink_ops, &sink, lb.b[0], lb.b[1], lb.b[2],
			     lb.b[3]);
		/* Synchronised by the host's RST, as after opening the port. */
		nb_link_rx(&link, rst->wire, rst->wire_len, 0);
		zassert_true(nb_link_synced(&link), "%s", v->name);

		struct nb_link_stats before = link.stats;

		nb_link_rx(&link, v->wire, v->wire_len, 1);
		const struct nb_link_stats *s = &link.stats;

		if (message_level) {
			/* A good frame: accepted and acknowledged; only the message layer refuses it. */
			struct nb_msg msg;

			zassert_equal(s->frames_in, before.frames_in + 1, "%s", v->name);
			zassert_equal(sink.delivered, 1, "%s", v->name);
			zassert_equal(link.rx_expected, 1, "%s: not acknowledged", v->name);
			zassert_equal(nb_msg_decode(sink.payload, sink.len, &msg), -EBADMSG,
				      "%s: decoded as a message", v->name);
			continue;
		}

		enum nb_frame_err want = err_by_name(v->error);

		zassert_not_equal(want, NB_FRAME_OK, "%s: unknown error %s", v->name, v->error);
		zassert_equal(sink.delivered, 0, "%s: delivered", v->name);
		zassert_equal(s->frames_in, before.frames_in, "%s: counted as a frame", v->name);
		zassert_equal(s->last_err, want, "%s: %s, want %s", v->name,
			      nb_frame_err_name(s->last_err), v->error);
		switch (want) {
		case NB_FRAME_ERR_CRC:
			zassert_equal(s->crc_errors, before.crc_errors + 1, "%s", v->name);
			zassert_true(s->garbage_bytes > before.garbage_bytes, "%s", v->name);
			break;
		case NB_FRAME_ERR_VERSION:
		case NB_FRAME_ERR_TYPE:
			zassert_equal(s->malformed, before.malformed + 1, "%s", v->name);
			zassert_equal(s->garbage_bytes, before.garbage_bytes, "%s", v->name);
			break;
		default: /* COBS, SHORT, OVERSIZE */
			zassert_true(s->garbage_bytes > before.garbage_bytes, "%s", v->name);
			zassert_equal(s->crc_errors, before.crc_errors, "%s", v->name);
			zassert_equal(s->malformed, before.malformed, "%s", v->name);
			break;
		}
	}
}

/* ---------------------------------------------------------------- message level */

static void check_body_generic(const struct vec_valid *v, const struct nb_msg *msg)
{
	/* Every top-level key decodes through nb_body_decode to the vector's value. */
	struct nb_field fields[16];
	struct nb_value vals[16];
	struct nb_body_error e;
	size_t n = v->body.len;

	zassert_true(n <= ARRAY_SIZE(fields), "%s: too many keys", v->name);
	for (size_t i = 0; i < n; i++) {
		static const uint8_t types[] = {
			[VT_UINT] = NB_FIELD_UINT, [VT_NINT] = NB_FIELD_INT, [VT_BYTES] = NB_FIELD_BSTR,
			[VT_TEXT] = NB_FIELD_TSTR, [VT_BOOL] = NB_FIELD_BOOL, [VT_NULL] = NB_FIELD_ANY,
			[VT_ARRAY] = NB_FIELD_ANY, [VT_MAP] = NB_FIELD_ANY,
		};
		fields[i] = (struct nb_field){.key = v->body.keys[i],
					      .type = types[v->body.items[i].type],
					      .required = true};
	}
	zassert_ok(nb_body_decode(msg->body, msg->body_len, fields, vals, n, &e),
		   "%s: key %u %s", v->name, e.key, e.why);
	for (size_t i = 0; i < n; i++) {
		const struct vec_value *want = &v->body.items[i];

		switch (want->type) {
		case VT_UINT:
			zassert_equal(vals[i].u, want->u, "%s key %u", v->name, fields[i].key);
			break;
		case VT_NINT:
			zassert_equal(vals[i].i, -1 - (int64_t)want->u, "%s", v->name);
			break;
		case VT_BYTES:
		case VT_TEXT:
			zassert_equal(vals[i].s.len, want->len, "%s key %u", v->name, fields[i].key);
			zassert_mem_equal(vals[i].s.ptr, want->bytes, want->len, "%s", v->name);
			break;
		case VT_BOOL:
			zassert_equal(vals[i].b, want->u != 0, "%s", v->name);
			break;
		default:
			zassert_true(vals[i].s.len > 0, "%s", v->name);
			break;
		}
	}
}

ZTEST(vectors, test_messages_decode_to_kind_op_id_and_body)
{
	int reqs = 0;

	for (size_t i = 0; i < VEC_VALID_COUNT; i++) {
		const struct vec_valid *v = &vec_valid[i];
		struct nb_msg msg;
		struct nb_body_error e;

		if (!v->has_message) {
			continue;
		}
		zassert_ok(nb_msg_decode(v->payload, v->payload_len, &msg), "%s", v->name);
		zassert_equal(msg.kind, v->kind, "%s: kind", v->name);
		zassert_equal(msg.op, v->op, "%s: op", v->name);
		zassert_equal(msg.id, v->id, "%s: id", v->name);
		check_body_generic(v, &msg);
		if (v->kind != NB_KIND_REQ) {
			continue;
		}
		reqs++;
		/* The session requests the core decodes itself. */
		if (v->op == NB_OP_HELLO) {
			struct nb_hello_req h;

			zassert_ok(nb_msg_decode_hello_req(msg.body, msg.body_len, &h, &e), "%s",
				   v->name);
			zassert_equal(h.min_version, vuint(&v->body, 1));
			zassert_equal(h.max_version, vuint(&v->body, 2));
			zassert_mem_equal(h.schema_hash, vget(&v->body, 3)->bytes, 8);
			zassert_equal(h.mtu, vuint(&v->body, 4));
			zassert_equal(h.window, vuint(&v->body, 5));
		} else if (v->op == NB_OP_PING || v->op == NB_OP_SINK) {
			struct nb_bytes_req b;
			const struct vec_value *want = vget(&v->body, 1);

			zassert_ok(v->op == NB_OP_PING
					   ? nb_msg_decode_ping_req(msg.body, msg.body_len, &b, &e)
					   : nb_msg_decode_sink_req(msg.body, msg.body_len, &b, &e),
				   "%s", v->name);
			zassert_equal(b.present, want != NULL, "%s", v->name);
			if (want != NULL) {
				zassert_equal(b.len, want->len);
				zassert_mem_equal(b.ptr, want->bytes, want->len);
			}
		}
	}
	zassert_true(reqs > 0);
}

/* Re-encodes the board-originated messages the core produces from the vector's values. */
ZTEST(vectors, test_board_messages_reencode_exactly)
{
	static uint8_t buf[TEST_MTU + 16];
	int hello = 0, ping = 0, stats = 0, err = 0, done = 0, overrun = 0, empty = 0, sink = 0;

	for (size_t i = 0; i < VEC_VALID_COUNT; i++) {
		const struct vec_valid *v = &vec_valid[i];
		const struct vec_value *b = &v->body;
		size_t len = 0;
		int rc;

		if (!v->has_message || v->kind == NB_KIND_REQ) {
			continue;
		}
		if (v->kind == NB_KIND_RSP && v->op == NB_OP_HELLO) {
			const struct vec_value *lim = vget(b, 10);
			struct nb_hello_info info = {
				.version = vuint(b, 1),
				.mtu = vuint(b, 3),
				.window = vuint(b, 4),
				.features = vuint(b, 5),
				.board = vtext(b, 6, 0),
				.zephyr_version = vtext(b, 7, 1),
				.fw_version = vtext(b, 8, 2),
				.limits = {
					.max_sockets = vuint(lim, 1),
					.max_subscriptions = vuint(lim, 2),
					.event_queue_len = vuint(lim, 3),
					.tx_queue_len = vuint(lim, 4),
					.rx_buffer = vuint(lim, 5),
					.max_data = vget(lim, 6) ? vuint(lim, 6) : 0,
				},
				.uptime_ms = vuint(b, 11),
			};
			memcpy(info.schema_hash, vget(b, 2)->bytes, 8);
			memcpy(info.boot_id, vget(b, 9)->bytes, 8);
			rc = nb_msg_encode_hello_rsp(buf, sizeof(buf), v->id, &info, &len);
			hello++;
		} else if (v->kind == NB_KIND_RSP && v->op == NB_OP_PING) {
			const struct vec_value *echo = vget(b, 1);

			rc = nb_msg_encode_ping_rsp(buf, sizeof(buf), v->id,
						    echo ? echo->bytes : NULL, echo ? echo->len : 0,
						    &len);
			ping++;
		} else if (v->kind == NB_KIND_RSP && v->op == NB_OP_SINK) {
			rc = nb_msg_encode_sink_rsp(buf, sizeof(buf), v->id, vuint(b, 1), &len);
			sink++;
		} else if (v->kind == NB_KIND_RSP && v->op == NB_OP_STATS) {
			struct nb_counter_value c[NB_CNT_COUNT];

			zassert_true(b->len <= ARRAY_SIZE(c));
			for (size_t k = 0; k < b->len; k++) {
				c[k].key = b->keys[k];
				c[k].value = b->items[k].u;
			}
			rc = nb_msg_encode_stats_rsp(buf, sizeof(buf), v->id, c, b->len, &len);
			stats++;
		} else if (v->kind == NB_KIND_RSP && b->len == 0) {
			/* What nb_reply_empty() sends. */
			struct nb_enc e;

			rc = nb_enc_begin(&e, buf, sizeof(buf), NB_KIND_RSP, v->op, v->id) &&
					     nb_enc_end(&e, &len)
				     ? 0
				     : -ENOMEM;
			empty++;
		} else if (v->kind == NB_KIND_ERR) {
			struct nb_err e = {
				.errnum = (int)vint(b, 1),
				.name = vtext(b, 2, 0),
				.extack = vget(b, 3) ? vtext(b, 3, 1) : NULL,
				.field = vget(b, 4) ? (uint32_t)vuint(b, 4) : 0,
				.has_gai = vget(b, 5) != NULL,
				.gai = vget(b, 5) ? (int32_t)vint(b, 5) : 0,
			};

			/* The board names errnos itself; the vector's name must be the same. */
			if (e.errnum != 0) {
				zassert_str_equal(nb_errno_name(e.errnum), e.name, "%s", v->name);
			}
			rc = nb_msg_encode_err_body(buf, sizeof(buf), v->op, v->id, &e, &len);
			err++;
		} else if (v->kind == NB_KIND_DONE) {
			const struct vec_value *intr = vget(b, 2);

			zassert_not_null(intr);
			rc = nb_msg_encode_done(buf, sizeof(buf), v->op, v->id, vuint(b, 1),
						intr->u != 0, &len);
			done++;
		} else if (v->kind == NB_KIND_NTF && v->op == NB_OP_OVERRUN) {
			rc = nb_msg_encode_overrun(buf, sizeof(buf), v->id, vuint(b, 1), vuint(b, 2),
						   vuint(b, 3), &len);
			overrun++;
		} else {
			continue; /* ITEM / EVENT / socket bodies: encoded by modules not in the core */
		}
		zassert_ok(rc, "%s: encode failed", v->name);
		zassert_equal(len, v->payload_len, "%s: %zu bytes, want %zu", v->name, len,
			      v->payload_len);
		zassert_mem_equal(buf, v->payload, len, "%s", v->name);
	}
	zassert_true(hello > 0 && ping > 0 && stats > 0 && err > 0 && done > 0 && overrun > 0 &&
			     empty > 0 && sink > 0,
		     "hello %d ping %d stats %d err %d done %d overrun %d empty %d sink %d", hello,
		     ping, stats, err, done, overrun, empty, sink);
}

ZTEST_SUITE(vectors, NULL, NULL, NULL, NULL, NULL);
