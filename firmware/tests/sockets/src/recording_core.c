/*
 * The bridge core's answer path (nb_internal.h) for the socket tests: answers and notifications
 * are encoded with the real message layer (nb_msg.c) and recorded in two bounded queues instead of
 * going to a UART. The room the pusher sees is settable, to test backpressure.
 */
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/atomic.h>

#include "recording_core.h"

/* The bridge core registers the module's log; here the stand-in does. */
LOG_MODULE_REGISTER(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

#define REC_CAP (CONFIG_NETBRIDGE_MTU + NB_ENC_SLACK)

K_MSGQ_DEFINE(answers, sizeof(struct rec_msg), 8, 4);
K_MSGQ_DEFINE(notifications, sizeof(struct rec_msg), 16, 4);
static K_MUTEX_DEFINE(ntf_lock);
static uint32_t ntf_seq;
static atomic_t room = ATOMIC_INIT(1);
static atomic_t counters[NB_CNT_COUNT + 1];
static atomic_t overruns;

/* Transmit buffers: one per open message, from a small slab. */
struct rec_buf {
	struct nb_txmsg m;
	uint8_t data[REC_CAP];
};
K_MEM_SLAB_DEFINE_STATIC(bufs, sizeof(struct rec_buf), 4, 4);

void rec_set_room(bool on)
{
	atomic_set(&room, on);
}

int64_t rec_counter(enum nb_counter c)
{
	return atomic_get(&counters[c]);
}

uint32_t rec_overruns(void)
{
	return (uint32_t)atomic_get(&overruns);
}

int rec_answer(struct rec_msg *out)
{
	return k_msgq_get(&answers, out, K_NO_WAIT);
}

int rec_notification(struct rec_msg *out, k_timeout_t wait)
{
	return k_msgq_get(&notifications, out, wait);
}

void rec_reset(void)
{
	k_msgq_purge(&answers);
	k_msgq_purge(&notifications);
	atomic_set(&room, 1);
}

static struct nb_txmsg *buf_alloc(void)
{
	void *b;

	if (k_mem_slab_alloc(&bufs, &b, K_MSEC(100)) != 0) {
		return NULL;
	}
	struct rec_buf *rb = b;

	rb->m.len = 0;
	rb->m.cap = REC_CAP;
	return &rb->m;
}

static void record(struct nb_out *o, size_t len)
{
	struct rec_msg r = {.len = len};

	memcpy(r.data, o->msg->data, MIN(len, sizeof(r.data)));
	(void)k_msgq_put(o->kind == NB_KIND_NTF ? &notifications : &answers, &r, K_NO_WAIT);
	k_mem_slab_free(&bufs, o->msg);
	o->msg = NULL;
}

int nb_out_begin(struct nb_out *o, struct nb_req *req, uint8_t kind)
{
	o->msg = buf_alloc();
	if (o->msg == NULL) {
		return -ENOBUFS;
	}
	o->req = req;
	o->kind = kind;
	o->op = req->msg.op;
	o->id = req->msg.id;
	if (kind != NB_KIND_ITEM) {
		req->answered = true;
	}
	return nb_enc_begin(&o->enc, o->msg->data, o->msg->cap, kind, o->op, o->id) ? 0 : -ENOMEM;
}

bool nb_ntf_room(unsigned int spare)
{
	ARG_UNUSED(spare);
	return atomic_get(&room) && k_msgq_num_free_get(&notifications) > 0;
}

int nb_ntf_begin(struct nb_out *o, uint8_t op, enum nb_overrun_what what)
{
	ARG_UNUSED(what);
	k_mutex_lock(&ntf_lock, K_FOREVER);
	uint32_t seq = ntf_seq++;

	o->msg = atomic_get(&room) ? buf_alloc() : NULL;
	if (o->msg == NULL) {
		atomic_inc(&overruns);
		k_mutex_unlock(&ntf_lock);
		return -ENOBUFS;
	}
	o->req = NULL;
	o->kind = NB_KIND_NTF;
	o->op = op;
	o->id = seq;
	return nb_enc_begin(&o->enc, o->msg->data, o->msg->cap, NB_KIND_NTF, op, seq) ? 0
										      : -ENOMEM;
}

void nb_overrun_add(enum nb_overrun_what what, uint32_t n)
{
	ARG_UNUSED(what);
	atomic_add(&overruns, n);
}

void nb_out_abort(struct nb_out *o)
{
	if (o->msg != NULL) {
		k_mem_slab_free(&bufs, o->msg);
		o->msg = NULL;
	}
	if (o->kind == NB_KIND_NTF) {
		k_mutex_unlock(&ntf_lock);
	}
}

int nb_out_send(struct nb_out *o)
{
	size_t len;
	bool ntf = o->kind == NB_KIND_NTF;

	if (!nb_enc_end(&o->enc, &len) || len > nb_peer_mtu()) {
		nb_out_abort(o);
		return -EMSGSIZE;
	}
	record(o, len);
	if (ntf) {
		k_mutex_unlock(&ntf_lock);
	}
	return 0;
}

int nb_out_send_encoded(struct nb_out *o, size_t len)
{
	bool ntf = o->kind == NB_KIND_NTF;

	record(o, len);
	if (ntf) {
		k_mutex_unlock(&ntf_lock);
	}
	return 0;
}

int nb_reply_empty(struct nb_req *req)
{
	struct nb_out o;
	int err = nb_out_begin(&o, req, NB_KIND_RSP);

	return err != 0 ? err : nb_out_send(&o);
}

int nb_reply_err(struct nb_req *req, int err, const char *extack, uint32_t field)
{
	struct nb_out o;
	size_t len;

	if (nb_out_begin(&o, req, NB_KIND_ERR) != 0) {
		return -ENOBUFS;
	}
	if (nb_msg_encode_err(o.msg->data, o.msg->cap, req->msg.op, req->msg.id, err, extack, field,
			      &len) != 0) {
		nb_out_abort(&o);
		return -ENOMEM;
	}
	return nb_out_send_encoded(&o, len);
}

int nb_reply_body_err(struct nb_req *req, const struct nb_body_error *e)
{
	return nb_reply_err(req, EINVAL, e->why, e->key);
}

int nb_reply_done(struct nb_req *req, uint32_t count, bool interrupted)
{
	ARG_UNUSED(count);
	ARG_UNUSED(interrupted);
	return nb_reply_err(req, ENOTSUP, "no dumps here", 0);
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

void nb_stat_add(enum nb_counter c, int32_t delta)
{
	atomic_add(&counters[c], delta);
}

uint32_t nb_peer_mtu(void)
{
	return CONFIG_NETBRIDGE_MTU;
}
