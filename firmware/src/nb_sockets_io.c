/*
 * Socket ops, part 2: SEND (send/sendto/sendmsg), RECV (recv/recvfrom/recvmsg), POLL (poll and the
 * host's select) and SOCK_STREAM (push mode credit).
 *
 * Blocking calls never block inside Zephyr: they wait with zsock_poll in short slices (so CLOSE on
 * another worker ends them) and then call with MSG_DONTWAIT. Short reads and writes stay short:
 * one RECV answers with what one zsock_recv returned (MSG_WAITALL: until full, EOF or timeout).
 */
#include <errno.h>
#include <string.h>
#include <zcbor_decode.h>
#include <zcbor_encode.h>
#include <zephyr/kernel.h>
#include <zephyr/net/socket.h>

#include "nb_sockets.h"

#define SOCK_FIELD {.key = 1, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX}

/* Milliseconds left until end (-1: forever). */
static int32_t ms_left(k_timepoint_t end, int32_t timeout_ms)
{
	if (timeout_ms < 0) {
		return -1;
	}
	k_timeout_t left = sys_timepoint_timeout(end);

	return (int32_t)k_ticks_to_ms_ceil32(left.ticks);
}

/*
 * Whether a call for ev would not block now (ready, or an error or hangup it will report). Zephyr's
 * socketpair ignores MSG_DONTWAIT, so every call is preceded by this look.
 */
static bool ready_now(int fd, short ev)
{
	struct zsock_pollfd p = {.fd = fd, .events = ev};

	return zsock_poll(&p, 1, 0) != 0;
}

static void handle_send(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_BSTR, .required = true},
		{.key = 3, .type = NB_FIELD_UINT, .max = INT32_MAX},
		{.key = 4, .type = NB_FIELD_ANY},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	const char *why;

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (v[3].present && nb_sockaddr_decode(&v[3], &ss, &sslen, &why) != 0) {
		(void)nb_reply_err(req, EINVAL, why, 4);
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	int flags = v[2].present ? (int)v[2].u : 0;
	int32_t timeout = (flags & ZSOCK_MSG_DONTWAIT) || nb_sock_nonblocking(s) ? 0
									  : s->sndtimeo_ms;
	k_timepoint_t end = sys_timepoint_calc(timeout < 0 ? K_FOREVER : K_MSEC(timeout));
	ssize_t n;
	int err = 0;

	for (;;) {
		if (ready_now(s->fd, ZSOCK_POLLOUT)) {
			n = zsock_sendto(s->fd, v[1].s.ptr, v[1].s.len, flags | ZSOCK_MSG_DONTWAIT,
					 sslen ? (struct sockaddr *)&ss : NULL, sslen);
			if (n >= 0) {
				break;
			}
			err = errno;
		} else {
			n = -1;
			err = EAGAIN;
		}
		if ((err != EAGAIN && err != EWOULDBLOCK) || timeout == 0) {
			break;
		}
		int r = nb_sock_wait(s, ZSOCK_POLLOUT, ms_left(end, timeout));

		if (r < 0) {
			err = -r;
			break;
		}
	}
	nb_sock_put(s);
	if (n < 0) {
		(void)nb_sock_reply_errno(req, err, "send");
		return;
	}
	(void)nb_sock_reply_int(req, n);
}
NB_OP_DEFINE(send, NB_OP_SEND, NB_OP_MAY_BLOCK, handle_send);

/*
 * SOCK_WRITE: a pipelined stream write. It is taken only at the socket's write offset (what
 * SOCK_WRITE accepted so far, mod 2^32) and never blocks; ordered ops run in arrival order, so the
 * host keeps several in flight and, after a short one, resumes from the offset in the answer (the
 * later ones, no longer at the offset, take nothing).
 */
static void handle_sock_write(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_BSTR, .required = true},
		{.key = 3, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	if (s->type != SOCK_STREAM) {
		nb_sock_put(s);
		(void)nb_reply_err(req, EINVAL, "SOCK_WRITE is for stream sockets", 1);
		return;
	}
	size_t n = 0;
	int err = 0;

	if ((uint32_t)v[2].u == s->write_off && v[1].s.len > 0 && ready_now(s->fd, ZSOCK_POLLOUT)) {
		ssize_t r = zsock_send(s->fd, v[1].s.ptr, v[1].s.len, ZSOCK_MSG_DONTWAIT);

		if (r >= 0) {
			n = (size_t)r;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS &&
			   errno != ENOMEM) {
			err = errno; /* out of buffers is "full for now", like EAGAIN: 0 taken */
		}
	}
	s->write_off += (uint32_t)n;
	uint32_t off = s->write_off;

	nb_sock_put(s);
	if (err != 0) {
		(void)nb_sock_reply_errno(req, err, "write");
		return;
	}
	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_enc_uint(&o.enc, 1, n) || !nb_enc_uint(&o.enc, 2, off)) {
		nb_out_abort(&o);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(sock_write, NB_OP_SOCK_WRITE, NB_OP_ORDERED, handle_sock_write);

struct recv_result {
	size_t got;
	size_t full;   /* datagram's full length */
	bool truncated;
	bool have_src;
	struct sockaddr_storage src;
};

/*
 * One RECV into buf (max bytes): see the file comment. 0 or a positive errno; data already
 * received wins over a later error (the error shows on the next call, as on the board).
 */
static int recv_into(struct nb_sock *s, uint8_t *buf, size_t max, int flags, bool want_src,
		     int32_t timeout, struct recv_result *r)
{
	bool stream = s->type == SOCK_STREAM;
	bool waitall = stream && (flags & ZSOCK_MSG_WAITALL) && !(flags & ZSOCK_MSG_PEEK);
	int call_flags = (flags & ~ZSOCK_MSG_WAITALL) | ZSOCK_MSG_DONTWAIT;
	k_timepoint_t end = sys_timepoint_calc(timeout < 0 ? K_FOREVER : K_MSEC(timeout));

	if (!stream) {
		call_flags |= ZSOCK_MSG_TRUNC; /* learn the datagram's length, report it if asked */
	}
	memset(r, 0, sizeof(*r));
	for (;;) {
		socklen_t slen = sizeof(r->src);
		ssize_t n = -1;

		errno = EAGAIN;
		if (ready_now(s->fd, ZSOCK_POLLIN)) {
			n = zsock_recvfrom(s->fd, buf + r->got, max - r->got, call_flags,
					   want_src ? (struct sockaddr *)&r->src : NULL,
					   want_src ? &slen : NULL);
		}

		if (n > 0 || (n == 0 && (!stream || max == 0))) {
			if (!stream) {
				r->full = (size_t)n;
				r->truncated = (size_t)n > max;
				r->got = MIN((size_t)n, max);
			} else {
				r->got += (size_t)n;
			}
			r->have_src = want_src && slen > 0;
			if (!waitall || r->got == max) {
				return 0;
			}
			continue;
		}
		if (n == 0) {
			return 0; /* orderly EOF: what we have, possibly nothing */
		}
		int err = errno;

		if (err != EAGAIN && err != EWOULDBLOCK) {
			return r->got > 0 ? 0 : err;
		}
		if (timeout == 0) {
			return r->got > 0 ? 0 : EAGAIN;
		}
		int w = nb_sock_wait(s, ZSOCK_POLLIN, ms_left(end, timeout));

		if (w < 0) {
			return r->got > 0 && w == -EAGAIN ? 0 : -w;
		}
	}
}

static void handle_recv(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 3, .type = NB_FIELD_UINT, .max = INT32_MAX},
		{.key = 4, .type = NB_FIELD_BOOL},
		{.key = 5, .type = NB_FIELD_INT},
	};
	struct nb_value v[ARRAY_SIZE(fields)];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	if (s->push) {
		nb_sock_put(s);
		(void)nb_reply_err(req, EBUSY, "socket is in push mode: data arrives as SOCK_DATA", 1);
		return;
	}
	int flags = v[2].present ? (int)v[2].u : 0;
	bool want_src = v[3].present && v[3].b;
	int32_t timeout = v[4].present ? (int32_t)CLAMP(v[4].i, -1, INT32_MAX) : s->rcvtimeo_ms;
	/* The request is decoded: its buffer holds the data now (at most the peer's MTU less the
	 * answer's overhead, and never more than the buffer). */
	size_t max = MIN((size_t)v[1].u, MIN(nb_sock_data_limit(), sizeof(req->data)));
	struct recv_result r;

	if ((flags & ZSOCK_MSG_DONTWAIT) || nb_sock_nonblocking(s)) {
		timeout = 0;
	}
	int err = recv_into(s, req->data, max, flags, want_src, timeout, &r);

	nb_sock_put(s);
	if (err != 0) {
		(void)nb_sock_reply_errno(req, err, err == EAGAIN ? "recv: no data" : "recv");
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	bool ok = nb_enc_bstr(&o.enc, 1, req->data, r.got) &&
		  (!r.have_src || nb_sockaddr_encode(&o.enc, 2, (struct sockaddr *)&r.src)) &&
		  (!(r.truncated && (flags & ZSOCK_MSG_TRUNC)) || nb_enc_uint(&o.enc, 3, r.full)) &&
		  (!r.truncated || nb_enc_uint(&o.enc, 4, ZSOCK_MSG_TRUNC));

	if (!ok) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(recv, NB_OP_RECV, NB_OP_MAY_BLOCK, handle_recv);

/* ---------------------------------------------------------------- poll */

struct poll_set {
	struct zsock_pollfd fds[CONFIG_NETBRIDGE_MAX_SOCKETS];
	struct nb_sock *socks[CONFIG_NETBRIDGE_MAX_SOCKETS];
	uint32_t wire_fd[CONFIG_NETBRIDGE_MAX_SOCKETS];
	size_t n;
};

/* [* [sock, events]] into set; false when malformed or longer than the socket table. */
static bool decode_poll_list(const struct nb_value *v, struct poll_set *set)
{
	ZCBOR_STATE_D(zs, 3, v->s.ptr, v->s.len, 1, 0);

	set->n = 0;
	if (!zcbor_list_start_decode(zs)) {
		return false;
	}
	while (!zcbor_array_at_end(zs)) {
		uint32_t fd, events;

		if (set->n == ARRAY_SIZE(set->fds) || !zcbor_list_start_decode(zs) ||
		    !zcbor_uint32_decode(zs, &fd) || !zcbor_uint32_decode(zs, &events) ||
		    !zcbor_list_end_decode(zs) || events > UINT16_MAX) {
			return false;
		}
		set->wire_fd[set->n] = fd;
		set->fds[set->n].events = (short)events;
		set->n++;
	}
	return zcbor_list_end_decode(zs);
}

static void handle_poll(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_ANY, .required = true},
		{.key = 2, .type = NB_FIELD_INT, .required = true},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct poll_set set;

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (!decode_poll_list(&v[0], &set)) {
		(void)nb_reply_err(req, EINVAL,
				   "key 1: not a list of [sock, events] within the socket table", 1);
		return;
	}
	int32_t timeout = (int32_t)CLAMP(v[1].i, -1, INT32_MAX);
	k_timepoint_t end = sys_timepoint_calc(timeout < 0 ? K_FOREVER : K_MSEC(timeout));
	int ready = 0;
	int err = 0;

	for (size_t i = 0; i < set.n; i++) {
		set.socks[i] = nb_sock_get((int)set.wire_fd[i]);
		/* Not the host's socket: POLLNVAL, as zsock_poll reports a bad fd (never polled). */
		set.fds[i].fd = set.socks[i] != NULL ? set.socks[i]->fd : -1;
		set.fds[i].revents = 0;
	}
	for (;;) {
		bool closing = false;
		int32_t slice = CONFIG_NETBRIDGE_SOCKETS_WAIT_SLICE_MS;
		int32_t left = ms_left(end, timeout);

		if (left >= 0) {
			slice = MIN(slice, left);
		}
		int n = zsock_poll(set.fds, set.n, slice);

		if (n < 0) {
			err = errno;
			break;
		}
		ready = 0;
		for (size_t i = 0; i < set.n; i++) {
			if (set.socks[i] == NULL) {
				set.fds[i].revents = ZSOCK_POLLNVAL;
			}
			ready += set.fds[i].revents != 0;
			closing |= set.socks[i] != NULL && set.socks[i]->closing;
		}
		if (ready > 0 || sys_timepoint_expired(end)) {
			break;
		}
		if (closing) { /* a polled socket is being closed: it reports POLLNVAL now */
			for (size_t i = 0; i < set.n; i++) {
				if (set.socks[i] != NULL && set.socks[i]->closing) {
					set.fds[i].revents = ZSOCK_POLLNVAL;
					ready++;
				}
			}
			break;
		}
	}
	for (size_t i = 0; i < set.n; i++) {
		if (set.socks[i] != NULL) {
			nb_sock_put(set.socks[i]);
		}
	}
	if (err != 0) {
		(void)nb_sock_reply_errno(req, err, "poll");
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	bool ok = nb_enc_list_start(&o.enc, 1);

	for (size_t i = 0; ok && i < set.n; i++) {
		ok = zcbor_uint32_put(nb_enc_state(&o.enc), (uint16_t)set.fds[i].revents);
	}
	ok = ok && nb_enc_list_end(&o.enc) && nb_enc_uint(&o.enc, 2, ready);
	if (!ok) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(poll, NB_OP_POLL, NB_OP_MAY_BLOCK, handle_poll);

/* ---------------------------------------------------------------- push mode */

static void handle_sock_stream(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	nb_sock_lock();
	s->push = true;
	/* Saturating: a host granting more than 4 GiB ahead gets "plenty". */
	s->credit = (uint32_t)MIN((uint64_t)s->credit + v[1].u, UINT32_MAX);
	nb_sock_unlock();
	nb_sock_put(s);
	nb_push_wake();
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(sock_stream, NB_OP_SOCK_STREAM, 0, handle_sock_stream);
