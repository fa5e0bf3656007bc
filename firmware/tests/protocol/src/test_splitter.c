/* The streaming splitter and frame decoder under split input, console text and oversize runs. */
#include <string.h>
#include <zephyr/ztest.h>

#include "common.h"

#define NFRAMES 3

struct got {
	int frames;
	int failed;
	int oversize;
	size_t garbage;
	uint8_t seqs[16];
};

static struct link_bufs lb;

static void on_run(void *ctx, struct net_buf *run, size_t len)
{
	struct got *g = ctx;
	struct nb_frame_hdr hdr;
	size_t plen;

	if (run == NULL) {
		g->oversize++;
		g->garbage += len;
		return;
	}
	if (nb_frame_decode(run, lb.b[2], TEST_MTU, &hdr, &plen) == NB_FRAME_OK) {
		zassert_true(g->frames < 16);
		g->seqs[g->frames++] = hdr.seq;
	} else {
		g->failed++;
		g->garbage += len;
	}
}

/* Three DATA frames with log text before, between and after them. */
static size_t build_stream(uint8_t *out, size_t cap, size_t *text_len)
{
	static const char *text[] = {"*** Booting Zephyr OS ***\r\n",
				     "[00:00:01.000] <inf> net_dhcpv4: Received: 10.0.2.15\r\n",
				     "uart:~$ ", "tail"};
	size_t n = 0;

	*text_len = 0;
	for (int i = 0; i <= NFRAMES; i++) {
		size_t t = strlen(text[i]);

		memcpy(out + n, text[i], t);
		n += t;
		*text_len += t;
		if (i == NFRAMES) {
			break;
		}
		uint8_t payload[300];

		for (size_t k = 0; k < sizeof(payload); k++) {
			payload[k] = (uint8_t)(k * (i + 1)); /* contains zeros: COBS must stuff them */
		}
		struct nb_frame_hdr hdr = {.type = NB_FT_DATA, .seq = (uint8_t)(10 + i), .win = 4};

		zassert_ok(nb_frame_encode(&hdr, payload, sizeof(payload), lb.b[0], lb.b[1]));
		zassert_true(n + lb.b[1]->len <= cap);
		memcpy(out + n, lb.b[1]->data, lb.b[1]->len);
		n += lb.b[1]->len;
	}
	/* The trailing text only ends at the next delimiter. */
	out[n++] = 0x00;
	return n;
}

ZTEST(splitter, test_every_chunk_size_yields_the_same_frames)
{
	static uint8_t stream[2048];
	size_t text_len;

	link_bufs_get(1, &lb);
	size_t n = build_stream(stream, sizeof(stream), &text_len);

	for (size_t chunk = 1; chunk <= n; chunk = chunk < 16 ? chunk + 1 : chunk * 2) {
		struct nb_splitter sp;
		struct got g = {0};

		nb_splitter_init(&sp, lb.b[3], NB_FRAME_MAX_RUN(TEST_MTU));
		for (size_t off = 0; off < n; off += chunk) {
			nb_splitter_feed(&sp, stream + off, MIN(chunk, n - off), on_run, &g);
		}
		zassert_equal(g.frames, NFRAMES, "chunk %zu: %d frames", chunk, g.frames);
		for (int i = 0; i < NFRAMES; i++) {
			zassert_equal(g.seqs[i], 10 + i, "chunk %zu", chunk);
		}
		/* Text runs fail and are counted, never delivered. */
		zassert_equal(g.garbage, text_len, "chunk %zu: garbage %zu, text %zu", chunk,
			      g.garbage, text_len);
		zassert_equal(g.oversize, 0);
	}
}

ZTEST(splitter, test_oversize_run_is_discarded_without_buffering)
{
	static uint8_t noise[5000];
	struct nb_splitter sp;
	struct got g = {0};

	link_bufs_get(1, &lb);
	memset(noise, 'x', sizeof(noise));
	nb_splitter_init(&sp, lb.b[3], NB_FRAME_MAX_RUN(TEST_MTU));
	nb_splitter_feed(&sp, noise, sizeof(noise), on_run, &g);
	zassert_true(lb.b[3]->len <= NB_FRAME_MAX_RUN(TEST_MTU), "run buffer grew past its bound");

	struct nb_frame_hdr hdr = {.type = NB_FT_ACK, .ack = 3, .win = 4};

	zassert_ok(nb_frame_encode(&hdr, NULL, 0, lb.b[0], lb.b[1]));
	/* The frame's leading delimiter ends the noise; the frame itself still arrives. */
	nb_splitter_feed(&sp, lb.b[1]->data, lb.b[1]->len, on_run, &g);
	zassert_equal(g.oversize, 1);
	zassert_equal(g.garbage, sizeof(noise));
	zassert_equal(g.frames, 1);
}

ZTEST(splitter, test_empty_runs_are_ignored)
{
	static const uint8_t zeros[64];
	struct nb_splitter sp;
	struct got g = {0};

	link_bufs_get(1, &lb);
	nb_splitter_init(&sp, lb.b[3], NB_FRAME_MAX_RUN(TEST_MTU));
	nb_splitter_feed(&sp, zeros, sizeof(zeros), on_run, &g);
	zassert_equal(g.frames + g.failed + g.oversize, 0);
}

ZTEST(splitter, test_random_garbage_never_yields_a_frame_or_overflows)
{
	static uint8_t junk[4096];
	uint32_t seed = 0xC0FFEE;
	struct nb_splitter sp;
	struct got g = {0};

	link_bufs_get(1, &lb);
	nb_splitter_init(&sp, lb.b[3], NB_FRAME_MAX_RUN(TEST_MTU));
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			uint32_t r = test_rand(&seed);

			/* Sparse delimiters so runs of every length appear. */
			junk[i] = (r % 97 == 0) ? 0 : (uint8_t)(r >> 8);
		}
		nb_splitter_feed(&sp, junk, sizeof(junk), on_run, &g);
		zassert_true(lb.b[3]->len <= NB_FRAME_MAX_RUN(TEST_MTU));
	}
	/* A random run passing COBS, length and CRC-32 has odds of about 2^-32. */
	zassert_equal(g.frames, 0, "%d random runs passed as frames", g.frames);
	zassert_true(g.failed > 100);
}

ZTEST_SUITE(splitter, NULL, NULL, NULL, NULL, NULL);
