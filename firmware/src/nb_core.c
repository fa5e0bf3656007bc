/*
 * The bridge runtime: one link thread owns the UART and the link state (nb_link), decodes message
 * headers and hands requests to worker threads through a bounded slab; handlers queue answers in a
 * bounded transmit slab that the link thread sends as the window allows.
 */
#include <string.h>
#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/init.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net_buf.h>
#include <zephyr/random/random.h>
#include <zephyr/sys/atomic.h>

#include <netbridge/netbridge.h>

#include "nb_internal.h"
#include "nb_uart.h"

LOG_MODULE_REGISTER(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

#if DT_HAS_CHOSEN(zephyr_netbridge_uart)
#define NB_UART_NODE DT_CHOSEN(zephyr_netbridge_uart)
#define NB_SHARED_CONSOLE false
#elif DT_HAS_CHOSEN(zephyr_console)
#define NB_UART_NODE DT_CHOSEN(zephyr_console)
#define NB_SHARED_CONSOLE true
#else
#error "netbridge needs a chosen zephyr,netbridge-uart (or zephyr,console)"
#endif

#define NB_MTU        CONFIG_NETBRIDGE_MTU
#define NB_TXBUF_CAP  (NB_MTU + NB_ENC_SLACK)
#define NB_TXBUF_SIZE ROUND_UP(sizeof(struct nb_txmsg) + NB_TXBUF_CAP, 4)
/* Requests that may block leave at least one worker for the rest. */
#define NB_BLOCKING_WORKERS MAX(1, CONFIG_NETBRIDGE_WORKERS - 1)
/* Notifications never take the last transmit buffer: answers keep a way out. */
#define NB_TX_RESERVED_FOR_ANSWERS 1

BUILD_ASSERT(CONFIG_NETBRIDGE_RX_WINDOW <= NB_LINK_WINDOW_LIMIT, "window is at most 64 frames");
BUILD_ASSERT(CONFIG_NETBRIDGE_TX_WINDOW <= NB_LINK_WINDOW_LIMIT, "window is at most 64 frames");
BUILD_ASSERT(CONFIG_NETBRIDGE_TX_QUEUE_LEN > NB_TX_RESERVED_FOR_ANSWERS,
	     "the transmit queue needs a buffer for notifications besides the answers' reserve");
BUILD_ASSERT(CONFIG_NETBRIDGE_UART_RX_RING >= NB_FRAME_MAX_WIRE(NB_MTU),
	     "the UART receive ring must hold a whole encoded frame");
BUILD_ASSERT(!IS_ENABLED(CONFIG_UART_INTERRUPT_DRIVEN) ||
		     CONFIG_NETBRIDGE_UART_TX_RING >= NB_FRAME_MAX_WIRE(NB_MTU),
	     "the UART transmit ring must hold a whole encoded frame");
BUILD_ASSERT(CONFIG_NETBRIDGE_RTO_MIN_MS <= CONFIG_NETBRIDGE_RTO_MAX_MS, "RTO bounds");
BUILD_ASSERT(NB_MTU <= UINT16_MAX - NB_FRAME_MAX_WIRE(0), "frame sizes fit a net_buf");

/* Four link buffers (rx run, rx raw, tx raw, tx wire), each sized for the largest wire frame. */
NET_BUF_POOL_FIXED_DEFINE(nb_link_pool, 4, NB_FRAME_MAX_WIRE(NB_MTU), 0, NULL);

K_MEM_SLAB_DEFINE_STATIC(req_slab, sizeof(struct nb_req), CONFIG_NETBRIDGE_RX_WINDOW, 4);
K_MEM_SLAB_DEFINE_STATIC(tx_slab, NB_TXBUF_SIZE, CONFIG_NETBRIDGE_TX_QUEUE_LEN, 4);
static K_FIFO_DEFINE(req_fifo);
static K_FIFO_DEFINE(tx_fifo);
static K_SEM_DEFINE(link_wake, 0, 1);
static K_SEM_DEFINE(blocking_slots, NB_BLOCKING_WORKERS, NB_BLOCKING_WORKERS);
static K_MUTEX_DEFINE(ntf_lock);

static struct nb_link link;
static atomic_t started;
static atomic_t epoch;            /* bumped by every link reset */
static atomic_t window_reopened;  /* a request slot was freed: tell the host */
static atomic_t peer_mtu = ATOMIC_INIT(NB_MTU);
static uint32_t ntf_seq;          /* under ntf_lock */
static atomic_t counters[NB_CNT_COUNT + 1]; /* the ones the core and modules keep */
static atomic_t overrun_pending[4];          /* by enum nb_overrun_what, since the last OVERRUN */
static atomic_t overrun_total[4];

K_THREAD_STACK_DEFINE(link_stack, CONFIG_NETBRIDGE_LINK_STACK_SIZE);
static struct k_thread link_thread;
K_THREAD_STACK_ARRAY_DEFINE(worker_stacks, CONFIG_NETBRIDGE_WORKERS,
			    CONFIG_NETBRIDGE_WORKER_STACK_SIZE);
static struct k_thread worker_threads[CONFIG_NETBRIDGE_WORKERS];

/* ---------------------------------------------------------------- counters */

void nb_stat_add(enum nb_counter c, int32_t delta)
{
	if (c >= 1 && c <= NB_CNT_COUNT) {
		atomic_add(&counters[c], delta);
	}
}

static void note_tx_level(void)
{
	atomic_val_t used = (atomic_val_t)k_mem_slab_num_used_get(&tx_slab);
	atomic_val_t high;

	do {
		high = atomic_get(&counters[NB_CNT_QUEUE_HIGH_WATER]);
	} while (used > high && !atomic_cas(&counters[NB_CNT_QUEUE_HIGH_WATER], high, used));
}

uint32_t nb_peer_mtu(void)
{
	return (uint32_t)atomic_get(&peer_mtu);
}

void nb_set_peer_limits(uint32_t mtu, uint32_t window)
{
	ARG_UNUSED(window); /* the host offers its window in every frame's win field */
	atomic_set(&peer_mtu, (atomic_val_t)CLAMP(mtu, 64, NB_MTU));
}

bool nb_shared_console(void)
{
	return NB_SHARED_CONSOLE;
}

/* ---------------------------------------------------------------- transmit buffers */

static struct nb_txmsg *tx_alloc(k_timeout_t wait)
{
	void *block;

	if (k_mem_slab_alloc(&tx_slab, &block, wait) != 0) {
		return NULL;
	}
	struct nb_txmsg *m = block;

	m->len = 0;
	m->cap = NB_TXBUF_CAP;
	note_tx_level();
	return m;
}

static void tx_free(struct nb_txmsg *m)
{
	k_mem_slab_free(&tx_slab, m);
}

static void tx_queue(struct nb_txmsg *m)
{
	k_fifo_put(&tx_fifo, m);
	k_sem_give(&link_wake);
}

int nb_out_begin(struct nb_out *o, struct nb_req *req, uint8_t kind)
{
	if ((uint32_t)atomic_get(&epoch) != req->epoch) {
		return -ESTALE;
	}
	o->msg = tx_alloc(K_MSEC(CONFIG_NETBRIDGE_TX_ALLOC_TIMEOUT_MS));
	if (o->msg == NULL) {
		nb_stat_add(NB_CNT_TX_DROPS, 1);
		return -ENOBUFS;
	}
	o->req = req;
	o->kind = kind;
	o->op = req->msg.op;
	o->id = req->msg.id;
	if (kind != NB_KIND_ITEM) {
		req->answered = true;
	}
	if (!nb_enc_begin(&o->enc, o->msg->data, o->msg->cap, kind, o->op, o->id)) {
		nb_out_abort(o);
		return -ENOMEM;
	}
	return 0;
}

int nb_ntf_begin(struct nb_out *o, uint8_t op, enum nb_overrun_what what)
{
	k_mutex_lock(&ntf_lock, K_FOREVER);
	uint32_t seq = ntf_seq++; /* a dropped notification leaves a gap the host can see */

	o->msg = NULL;
	if (atomic_get(&started) && nb_link_synced(&link) &&
	    k_mem_slab_num_free_get(&tx_slab) > NB_TX_RESERVED_FOR_ANSWERS) {
		o->msg = tx_alloc(K_NO_WAIT);
	}
	if (o->msg == NULL) {
		atomic_inc(&overrun_pending[what]);
		atomic_inc(&overrun_total[what]);
		nb_stat_add(NB_CNT_OVERRUNS, 1);
		k_mutex_unlock(&ntf_lock);
		return -ENOBUFS;
	}
	o->req = NULL;
	o->kind = NB_KIND_NTF;
	o->op = op;
	o->id = seq;
	if (!nb_enc_begin(&o->enc, o->msg->data, o->msg->cap, NB_KIND_NTF, op, seq)) {
		nb_out_abort(o);
		return -ENOMEM;
	}
	return 0;
}

void nb_overrun_add(enum nb_overrun_what what, uint32_t n)
{
	if (what < NB_OVERRUN_EVENTS || what > NB_OVERRUN_NOTIFICATIONS || n == 0) {
		return;
	}
	atomic_add(&overrun_pending[what], (atomic_val_t)n);
	atomic_add(&overrun_total[what], (atomic_val_t)n);
	nb_stat_add(NB_CNT_OVERRUNS, (int32_t)n);
	k_sem_give(&link_wake); /* the link thread sends the OVERRUN when a buffer is free */
}

bool nb_ntf_room(unsigned int spare)
{
	return atomic_get(&started) && nb_link_synced(&link) &&
	       k_mem_slab_num_free_get(&tx_slab) > NB_TX_RESERVED_FOR_ANSWERS + spare;
}

void nb_out_abort(struct nb_out *o)
{
	if (o->msg != NULL) {
		tx_free(o->msg);
		o->msg = NULL;
	}
	if (o->kind == NB_KIND_NTF) {
		k_mutex_unlock(&ntf_lock);
	}
}

/* Queues o's message of len bytes (ok: it was encoded whole). */
static int out_finish(struct nb_out *o, bool ok, size_t len)
{
	if (!ok || len > nb_peer_mtu()) {
		if (o->kind == NB_KIND_NTF) {
			nb_stat_add(NB_CNT_TX_DROPS, 1);
			nb_out_abort(o);
			return -EMSGSIZE;
		}
		/* An answer that does not fit still answers: as an error saying so. */
		if (nb_msg_encode_err(o->msg->data, MIN(nb_peer_mtu(), o->msg->cap), o->op, o->id,
				      EMSGSIZE, "answer larger than the MTU", 0, &len) != 0) {
			nb_stat_add(NB_CNT_TX_DROPS, 1);
			nb_out_abort(o);
			return -EMSGSIZE;
		}
	}
	o->msg->len = (uint16_t)len;
	tx_queue(o->msg);
	o->msg = NULL;
	if (o->kind == NB_KIND_NTF) {
		k_mutex_unlock(&ntf_lock);
	}
	return 0;
}

int nb_out_send(struct nb_out *o)
{
	size_t len = 0;
	bool ok = nb_enc_end(&o->enc, &len);

	return out_finish(o, ok, len);
}

int nb_out_send_encoded(struct nb_out *o, size_t len)
{
	return out_finish(o, len > 0 && len <= o->msg->cap, len);
}

int nb_reply_empty(struct nb_req *req)
{
	struct nb_out o;
	int err = nb_out_begin(&o, req, NB_KIND_RSP);

	return err != 0 ? err : nb_out_send(&o);
}

/* An ERR built whole in a fresh buffer; wait says how long to wait for one. */
static int send_err(struct nb_req *req, uint32_t op, uint32_t id, int errnum, const char *extack,
		    uint32_t field, k_timeout_t wait)
{
	struct nb_txmsg *m = tx_alloc(wait);
	size_t len;

	if (req != NULL) {
		req->answered = true;
	}
	if (m == NULL) {
		nb_stat_add(NB_CNT_TX_DROPS, 1);
		return -ENOBUFS;
	}
	if (nb_msg_encode_err(m->data, MIN(nb_peer_mtu(), m->cap), op, id, errnum, extack, field,
			      &len) != 0) {
		tx_free(m);
		nb_stat_add(NB_CNT_TX_DROPS, 1);
		return -ENOMEM;
	}
	m->len = (uint16_t)len;
	tx_queue(m);
	return 0;
}

int nb_reply_err(struct nb_req *req, int err, const char *extack, uint32_t field)
{
	if ((uint32_t)atomic_get(&epoch) != req->epoch) {
		req->answered = true;
		return -ESTALE;
	}
	return send_err(req, req->msg.op, req->msg.id, err, extack, field,
			K_MSEC(CONFIG_NETBRIDGE_TX_ALLOC_TIMEOUT_MS));
}

int nb_reply_body_err(struct nb_req *req, const struct nb_body_error *e)
{
	char why[48];

	snprintk(why, sizeof(why), "key %u: %s", e->key, e->why != NULL ? e->why : "invalid");
	return nb_reply_err(req, EINVAL, why, e->key);
}

int nb_reply_done(struct nb_req *req, uint32_t count, bool interrupted)
{
	struct nb_out o;
	int err = nb_out_begin(&o, req, NB_KIND_DONE);

	if (err != 0) {
		return err;
	}
	if (!nb_enc_uint(&o.enc, 1, count) || !nb_enc_bool(&o.enc, 2, interrupted)) {
		nb_out_abort(&o);
		return -ENOMEM;
	}
	return nb_out_send(&o);
}

int nb_req_decode(struct nb_req *req, const struct nb_field *fields, struct nb_value *vals,
		  size_t n)
{
	struct nb_body_error e;

	if (nb_body_decode(req->msg.body, req->msg.body_len, fields, vals, n, &e) != 0) {
		(void)nb_reply_body_err(req, &e);
		return -EINVAL;
	}
	return 0;
}

int nb_tx_flush(k_timeout_t timeout)
{
	k_timepoint_t end = sys_timepoint_calc(timeout);

	while (k_mem_slab_num_used_get(&tx_slab) > 0) {
		if (sys_timepoint_expired(end)) {
			return -EAGAIN;
		}
		k_sleep(K_MSEC(5));
	}
	return 0;
}

/* Sends pending OVERRUN notifications when a buffer is free (link thread). */
static void flush_overruns(void)
{
	for (int what = NB_OVERRUN_EVENTS; what <= NB_OVERRUN_NOTIFICATIONS; what++) {
		if (atomic_get(&overrun_pending[what]) == 0 || !nb_link_synced(&link) ||
		    k_mutex_lock(&ntf_lock, K_NO_WAIT) != 0) {
			continue;
		}
		struct nb_txmsg *m = k_mem_slab_num_free_get(&tx_slab) > NB_TX_RESERVED_FOR_ANSWERS
					     ? tx_alloc(K_NO_WAIT)
					     : NULL;
		size_t len;

		if (m != NULL) {
			uint32_t count = (uint32_t)atomic_set(&overrun_pending[what], 0);

			if (nb_msg_encode_overrun(m->data, m->cap, ntf_seq++, what, count,
						  (uint32_t)atomic_get(&overrun_total[what]),
						  &len) == 0) {
				m->len = (uint16_t)len;
				k_fifo_put(&tx_fifo, m);
			} else {
				tx_free(m);
			}
		}
		k_mutex_unlock(&ntf_lock);
	}
}

/* ---------------------------------------------------------------- link callbacks */

static void link_write(void *ctx, const uint8_t *data, size_t len)
{
	ARG_UNUSED(ctx);
	nb_uart_write(data, len);
}

static const struct nb_op_desc *find_op(uint32_t op)
{
	STRUCT_SECTION_FOREACH(nb_op_desc, d) {
		if (d->op == op) {
			return d;
		}
	}
	return NULL;
}

/*
 * Ordered ops: workers take requests in arrival order, but two workers may reach the handler in
 * either order; a ticket makes the later one wait for the earlier (a short wait: they never block).
 */
static uint32_t ordered_next;    /* link thread only */
static uint32_t ordered_serving; /* under ordered_lock */
static K_MUTEX_DEFINE(ordered_lock);
static K_CONDVAR_DEFINE(ordered_turn);

static void ordered_wait_turn(uint32_t ticket)
{
	k_mutex_lock(&ordered_lock, K_FOREVER);
	while (ordered_serving != ticket) {
		(void)k_condvar_wait(&ordered_turn, &ordered_lock, K_FOREVER);
	}
	k_mutex_unlock(&ordered_lock);
}

static void ordered_done(void)
{
	k_mutex_lock(&ordered_lock, K_FOREVER);
	ordered_serving++;
	k_condvar_broadcast(&ordered_turn);
	k_mutex_unlock(&ordered_lock);
}

/* An in-order DATA payload (link thread): decode the header and hand it to a worker. */
static bool link_deliver(void *ctx, const uint8_t *payload, size_t len)
{
	ARG_UNUSED(ctx);
	struct nb_msg msg;

	if (nb_msg_decode(payload, len, &msg) != 0 || msg.kind != NB_KIND_REQ) {
		nb_stat_add(NB_CNT_MALFORMED, 1); /* not a request: no answer */
		return true;
	}
	const struct nb_op_desc *d = find_op(msg.op);

	if (d == NULL) {
		(void)send_err(NULL, msg.op, msg.id, EOPNOTSUPP, "unknown op", 0, K_NO_WAIT);
		return true;
	}

	void *block;

	if (k_mem_slab_alloc(&req_slab, &block, K_NO_WAIT) != 0) {
		/* The host overran the window we offered (its frames were in flight before it saw
		 * our smaller win). Leave the frame unacknowledged: the link counts it (rx_no_room)
		 * and the host sends it again once a slot frees and our window update reaches it.
		 * Answering EBUSY instead would fail a request only because of timing. */
		return false;
	}
	if ((d->flags & NB_OP_MAY_BLOCK) && k_sem_take(&blocking_slots, K_NO_WAIT) != 0) {
		k_mem_slab_free(&req_slab, block);
		return send_err(NULL, msg.op, msg.id, EBUSY, "all workers busy", 0, K_NO_WAIT) == 0;
	}

	struct nb_req *req = block;

	memcpy(req->data, payload, len);
	req->len = (uint16_t)len;
	req->msg = msg;
	req->msg.body = req->data + (msg.body - payload);
	req->epoch = (uint32_t)atomic_get(&epoch);
	req->answered = false;
	req->flags = d->flags;
	if (d->flags & NB_OP_ORDERED) {
		req->ticket = ordered_next++; /* the link thread alone hands tickets out */
	}
	k_fifo_put(&req_fifo, req);
	return true;
}

static uint8_t link_rx_room(void *ctx)
{
	ARG_UNUSED(ctx);
	return (uint8_t)MIN(k_mem_slab_num_free_get(&req_slab), UINT8_MAX);
}

static struct nb_txmsg *link_tx_next(void *ctx)
{
	ARG_UNUSED(ctx);
	return k_fifo_get(&tx_fifo, K_NO_WAIT);
}

static void link_tx_release(void *ctx, struct nb_txmsg *msg, bool acked)
{
	ARG_UNUSED(ctx);
	if (!acked) {
		nb_stat_add(NB_CNT_TX_DROPS, 1);
	}
	tx_free(msg);
}

static void link_on_reset(void *ctx, bool dead)
{
	ARG_UNUSED(ctx);
	struct nb_txmsg *m;

	/* Queued answers and notifications belong to the old link. */
	atomic_inc(&epoch);
	while ((m = k_fifo_get(&tx_fifo, K_NO_WAIT)) != NULL) {
		nb_stat_add(NB_CNT_TX_DROPS, 1);
		tx_free(m);
	}
	LOG_INF("link %s", dead ? "dead: host stopped acknowledging" : "reset");
}

static uint32_t link_random(void *ctx)
{
	ARG_UNUSED(ctx);
	return sys_rand32_get() ^ k_cycle_get_32();
}

static const struct nb_link_ops link_ops = {
	.write = link_write,
	.deliver = link_deliver,
	.rx_room = link_rx_room,
	.tx_next = link_tx_next,
	.tx_release = link_tx_release,
	.on_reset = link_on_reset,
	.random = link_random,
};

/* ---------------------------------------------------------------- threads */

static void link_main(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);
	uint8_t chunk[64];

	nb_link_start(&link, k_uptime_get());
	for (;;) {
		size_t n;

		while ((n = nb_uart_read(chunk, sizeof(chunk))) > 0) {
			nb_link_rx(&link, chunk, n, k_uptime_get());
		}
		if (atomic_clear(&window_reopened)) {
			nb_link_window_update(&link);
		}
		flush_overruns();

		int64_t next = nb_link_service(&link, k_uptime_get());
		k_timeout_t wait = K_FOREVER;

		if (next != INT64_MAX) {
			wait = K_MSEC(MAX(0, next - k_uptime_get()));
		}
		(void)k_sem_take(&link_wake, wait);
	}
}

static void worker_main(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);

	for (;;) {
		struct nb_req *req = k_fifo_get(&req_fifo, K_FOREVER);
		const struct nb_op_desc *d = find_op(req->msg.op);

		if (req->flags & NB_OP_ORDERED) {
			ordered_wait_turn(req->ticket);
		}
		d->handler(req);
		if (req->flags & NB_OP_ORDERED) {
			ordered_done();
		}
		if (!req->answered) {
			LOG_ERR("op %s did not answer request %u", d->name, req->msg.id);
			(void)nb_reply_err(req, EIO, "handler did not answer", 0);
		}
		if (req->flags & NB_OP_MAY_BLOCK) {
			k_sem_give(&blocking_slots);
		}
		bool was_full = k_mem_slab_num_free_get(&req_slab) == 0;

		k_mem_slab_free(&req_slab, req);
		if (was_full) {
			atomic_set(&window_reopened, 1);
			k_sem_give(&link_wake);
		}
	}
}

int netbridge_start(void)
{
	const struct device *uart = DEVICE_DT_GET(NB_UART_NODE);
	struct net_buf *bufs[4];

	int n_ops;

	/* HELLO and PING are always linked in: an empty op table means a broken linker script
	 * (see nb_ops.ld), where every request would get "unknown op". Say so instead. */
	STRUCT_SECTION_COUNT(nb_op_desc, &n_ops);
	if (n_ops <= 0) {
		LOG_ERR("no op descriptors linked (nb_op_desc section empty): not starting");
		return -ENOEXEC;
	}
	if (!atomic_cas(&started, 0, 1)) {
		return -EALREADY;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bufs); i++) {
		bufs[i] = net_buf_alloc(&nb_link_pool, K_NO_WAIT);
		__ASSERT_NO_MSG(bufs[i] != NULL);
	}
	const struct nb_link_config cfg = {
		.mtu = NB_MTU,
		.window = CONFIG_NETBRIDGE_TX_WINDOW,
		.rto_min_ms = CONFIG_NETBRIDGE_RTO_MIN_MS,
		.rto_initial_ms = CONFIG_NETBRIDGE_RTO_INITIAL_MS,
		.rto_max_ms = CONFIG_NETBRIDGE_RTO_MAX_MS,
		.max_retries = CONFIG_NETBRIDGE_RTO_RETRIES,
		.rst_interval_ms = CONFIG_NETBRIDGE_RST_INTERVAL_MS,
		.boot_rst_tries = CONFIG_NETBRIDGE_BOOT_RST_TRIES,
	};

	nb_link_init(&link, &cfg, &link_ops, NULL, bufs[0], bufs[1], bufs[2], bufs[3]);
	int err = nb_uart_init(uart, &link_wake);

	if (err != 0) {
		LOG_ERR("bridge UART %s not ready", uart->name);
		atomic_set(&started, 0);
		return err;
	}

	for (int i = 0; i < CONFIG_NETBRIDGE_WORKERS; i++) {
		k_thread_create(&worker_threads[i], worker_stacks[i],
				K_THREAD_STACK_SIZEOF(worker_stacks[i]), worker_main, NULL, NULL,
				NULL, CONFIG_NETBRIDGE_WORKER_PRIORITY, 0, K_NO_WAIT);
		k_thread_name_set(&worker_threads[i], "nb_worker");
	}
	k_thread_create(&link_thread, link_stack, K_THREAD_STACK_SIZEOF(link_stack), link_main,
			NULL, NULL, NULL, CONFIG_NETBRIDGE_LINK_PRIORITY, 0, K_NO_WAIT);
	k_thread_name_set(&link_thread, "nb_link");
	LOG_INF("netbridge %s on %s%s, mtu %d", CONFIG_NETBRIDGE_FW_VERSION, uart->name,
		NB_SHARED_CONSOLE ? " (shared console)" : "", NB_MTU);
	return 0;
}

bool netbridge_link_up(void)
{
	return atomic_get(&started) && nb_link_synced(&link);
}

void nb_stats_collect(uint64_t c[NB_CNT_COUNT + 1])
{
	const struct nb_link_stats *s = &link.stats;

	memset(c, 0, (NB_CNT_COUNT + 1) * sizeof(c[0]));
	for (int i = 1; i <= NB_CNT_COUNT; i++) {
		c[i] = (uint32_t)atomic_get(&counters[i]);
	}
	c[NB_CNT_FRAMES_IN] = s->frames_in;
	c[NB_CNT_FRAMES_OUT] = s->frames_out;
	c[NB_CNT_CRC_ERRORS] = s->crc_errors;
	c[NB_CNT_GARBAGE_BYTES] = s->garbage_bytes;
	c[NB_CNT_RETRANSMITS] = s->retransmits;
	c[NB_CNT_DUPLICATES] = s->duplicates;
	c[NB_CNT_RESYNCS] = s->resyncs;
	c[NB_CNT_MALFORMED] += s->malformed;
	c[NB_CNT_TX_DROPS] += nb_uart_tx_drops();
	c[NB_CNT_RX_OVERFLOWS] += nb_uart_rx_overflows() + s->rx_no_room;
}

void netbridge_stats_get(struct netbridge_stats *out)
{
	BUILD_ASSERT(ARRAY_SIZE(out->counter) == NB_CNT_COUNT + 1);
	nb_stats_collect(out->counter);
}

#ifdef CONFIG_NETBRIDGE_AUTOSTART
static int netbridge_autostart(void)
{
	(void)netbridge_start();
	return 0;
}
SYS_INIT(netbridge_autostart, APPLICATION, CONFIG_APPLICATION_INIT_PRIORITY);
#endif
