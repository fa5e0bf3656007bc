/*
 * Socket ops, part 1: the table of host sockets, waiting without blocking the bridge, the sockaddr
 * wire form, and the lifecycle ops (SOCKET, SOCKETPAIR, CLOSE, SHUTDOWN, BIND, CONNECT, LISTEN,
 * ACCEPT, GETSOCKNAME, GETPEERNAME). Data ops are in nb_sockets_io.c, options in nb_sockets_opt.c.
 */
#include <errno.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/fdtable.h>

#include <zcbor_encode.h>

#include "nb_sockets.h"

LOG_MODULE_DECLARE(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

#define NB_MAX_SOCKS CONFIG_NETBRIDGE_MAX_SOCKETS
/* How long CLOSE waits for calls in progress on the socket (a TLS handshake is the longest). */
#define NB_CLOSE_WAIT_MS 15000

static struct nb_sock socks[NB_MAX_SOCKS];
static K_MUTEX_DEFINE(sock_lock);
static bool table_ready;

static void table_init_locked(void)
{
	if (!table_ready) {
		for (int i = 0; i < NB_MAX_SOCKS; i++) {
			socks[i].fd = -1;
		}
		table_ready = true;
	}
}

void nb_sock_lock(void)
{
	k_mutex_lock(&sock_lock, K_FOREVER);
	table_init_locked();
}

void nb_sock_unlock(void)
{
	k_mutex_unlock(&sock_lock);
}

struct nb_sock *nb_sock_table(void)
{
	return socks;
}

int nb_sock_count(void)
{
	int n = 0;

	nb_sock_lock();
	for (int i = 0; i < NB_MAX_SOCKS; i++) {
		n += socks[i].fd >= 0;
	}
	nb_sock_unlock();
	return n;
}

struct nb_sock *nb_sock_get(int fd)
{
	struct nb_sock *found = NULL;

	if (fd < 0) {
		return NULL;
	}
	nb_sock_lock();
	for (int i = 0; i < NB_MAX_SOCKS; i++) {
		if (socks[i].fd == fd && !socks[i].closing) {
			socks[i].refs++;
			found = &socks[i];
			break;
		}
	}
	nb_sock_unlock();
	return found;
}

void nb_sock_put(struct nb_sock *s)
{
	nb_sock_lock();
	__ASSERT_NO_MSG(s->refs > 0);
	s->refs--;
	nb_sock_unlock();
}

int nb_sock_register(int fd)
{
	int type = SOCK_STREAM;
	socklen_t len = sizeof(type);
	int err = -EMFILE;

	(void)zsock_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	nb_sock_lock();
	for (int i = 0; i < NB_MAX_SOCKS; i++) {
		if (socks[i].fd < 0) {
			memset(&socks[i], 0, sizeof(socks[i]));
			socks[i].fd = fd;
			socks[i].type = type;
			socks[i].rcvtimeo_ms = -1;
			socks[i].sndtimeo_ms = -1;
			socks[i].need = 1;
			nb_stat_add(NB_CNT_SOCKETS_OPEN, 1);
			err = 0;
			break;
		}
	}
	nb_sock_unlock();
	return err;
}

/* ---------------------------------------------------------------- waiting */

bool nb_sock_nonblocking(struct nb_sock *s)
{
	int fl = zsock_fcntl(s->fd, ZVFS_F_GETFL, 0);

	return fl >= 0 && (fl & ZVFS_O_NONBLOCK);
}

int nb_sock_wait(struct nb_sock *s, short events, int32_t timeout_ms)
{
	k_timepoint_t end = timeout_ms < 0 ? sys_timepoint_calc(K_FOREVER)
					   : sys_timepoint_calc(K_MSEC(timeout_ms));

	for (;;) {
		struct zsock_pollfd p = {.fd = s->fd, .events = events};
		k_timeout_t left = sys_timepoint_timeout(end);
		int32_t slice = CONFIG_NETBRIDGE_SOCKETS_WAIT_SLICE_MS;

		if (!K_TIMEOUT_EQ(left, K_FOREVER)) {
			slice = MIN(slice, (int32_t)k_ticks_to_ms_ceil32(left.ticks));
		}
		int n = zsock_poll(&p, 1, slice);

		if (n < 0) {
			return -errno;
		}
		if (n > 0 && p.revents != 0) {
			return p.revents;
		}
		if (s->closing) {
			return -EBADF;
		}
		if (sys_timepoint_expired(end)) {
			return -EAGAIN;
		}
	}
}

/* ---------------------------------------------------------------- wire helpers */

int nb_sockaddr_decode(const struct nb_value *v, struct sockaddr_storage *ss, socklen_t *len,
		       const char **why)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = UINT16_MAX},
		{.key = 2, .type = NB_FIELD_BSTR, .required = true, .min = 4, .max = 16},
		{.key = 3, .type = NB_FIELD_UINT, .max = UINT16_MAX},
		{.key = 4, .type = NB_FIELD_UINT, .max = UINT8_MAX},
	};
	struct nb_value a[ARRAY_SIZE(fields)];
	struct nb_body_error e;

	memset(ss, 0, sizeof(*ss));
	if (nb_body_decode(v->s.ptr, v->s.len, fields, a, ARRAY_SIZE(fields), &e) != 0) {
		*why = "sockaddr: malformed";
		return -EINVAL;
	}
	uint16_t port = a[2].present ? (uint16_t)a[2].u : 0;

	if (a[0].u == AF_INET && a[1].s.len == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a[1].s.ptr, 4);
		*len = sizeof(*sin);
		return 0;
	}
	if (a[0].u == AF_INET6 && a[1].s.len == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a[1].s.ptr, 16);
		sin6->sin6_scope_id = a[3].present ? (uint8_t)a[3].u : 0;
		*len = sizeof(*sin6);
		return 0;
	}
	*why = "sockaddr: family and address length do not match (AF_INET 4, AF_INET6 16 bytes)";
	return -EINVAL;
}

bool nb_sockaddr_encode(struct nb_enc *e, uint32_t key, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		return nb_enc_map_start(e, key) && nb_enc_uint(e, 1, AF_INET) &&
		       nb_enc_bstr(e, 2, &sin->sin_addr, 4) &&
		       nb_enc_uint(e, 3, ntohs(sin->sin_port)) && nb_enc_map_end(e);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		return nb_enc_map_start(e, key) && nb_enc_uint(e, 1, AF_INET6) &&
		       nb_enc_bstr(e, 2, &sin6->sin6_addr, 16) &&
		       nb_enc_uint(e, 3, ntohs(sin6->sin6_port)) &&
		       (sin6->sin6_scope_id == 0 || nb_enc_uint(e, 4, sin6->sin6_scope_id)) &&
		       nb_enc_map_end(e);
	}
	return false;
}

int nb_sock_reply_errno(struct nb_req *req, int err, const char *what)
{
	return nb_reply_err(req, err > 0 ? err : EIO, what, 0);
}

int nb_sock_reply_badf(struct nb_req *req)
{
	return nb_reply_err(req, EBADF, "key 1: not a socket the host opened", 1);
}

int nb_sock_reply_int(struct nb_req *req, int64_t value)
{
	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return -ENOBUFS;
	}
	if (!nb_enc_int(&o.enc, 1, value)) {
		nb_out_abort(&o);
		return -ENOMEM;
	}
	return nb_out_send(&o);
}

size_t nb_sock_data_limit(void)
{
	uint32_t mtu = nb_peer_mtu();

	return mtu > NB_SOCK_DATA_OVERHEAD ? mtu - NB_SOCK_DATA_OVERHEAD : 0;
}

/* ---------------------------------------------------------------- lifecycle ops */

static bool tls_protocol(uint64_t proto)
{
	return proto >= IPPROTO_TLS_1_0 && proto <= IPPROTO_DTLS_1_2;
}

static void handle_socket(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 3, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (tls_protocol(v[2].u) && !IS_ENABLED(CONFIG_NETBRIDGE_TLS)) {
		(void)nb_reply_err(req, EPROTONOSUPPORT, "board built without TLS (F_TLS clear)", 3);
		return;
	}
	if (nb_sock_count() >= NB_MAX_SOCKS) {
		(void)nb_reply_err(req, EMFILE, "the bridge's socket table is full", 0);
		return;
	}
	int fd = zsock_socket((int)v[0].u, (int)v[1].u, (int)v[2].u);

	if (fd < 0) {
		(void)nb_sock_reply_errno(req, errno, "socket");
		return;
	}
	if (nb_sock_register(fd) != 0) {
		zsock_close(fd);
		(void)nb_reply_err(req, EMFILE, "the bridge's socket table is full", 0);
		return;
	}
	if (nb_sock_reply_int(req, fd) != 0) {
		LOG_WRN("socket %d: answer lost", fd); /* the host times out; the fd stays listed */
	}
}
NB_OP_DEFINE(socket, NB_OP_SOCKET, 0, handle_socket);

static void handle_socketpair(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 3, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	int fds[2];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (nb_sock_count() + 2 > NB_MAX_SOCKS) {
		(void)nb_reply_err(req, EMFILE, "the bridge's socket table is full", 0);
		return;
	}
	if (zsock_socketpair((int)v[0].u, (int)v[1].u, (int)v[2].u, fds) != 0) {
		(void)nb_sock_reply_errno(req, errno, "socketpair");
		return;
	}
	if (nb_sock_register(fds[0]) != 0 || nb_sock_register(fds[1]) != 0) {
		struct nb_sock *s;

		for (int i = 0; i < 2; i++) {
			if ((s = nb_sock_get(fds[i])) != NULL) {
				nb_sock_lock();
				s->fd = -1;
				s->refs = 0;
				nb_stat_add(NB_CNT_SOCKETS_OPEN, -1);
				nb_sock_unlock();
			}
			zsock_close(fds[i]);
		}
		(void)nb_reply_err(req, EMFILE, "the bridge's socket table is full", 0);
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_enc_list_start(&o.enc, 1) || !zcbor_uint32_put(nb_enc_state(&o.enc), fds[0]) ||
	    !zcbor_uint32_put(nb_enc_state(&o.enc), fds[1]) || !nb_enc_list_end(&o.enc)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(socketpair, NB_OP_SOCKETPAIR, 0, handle_socketpair);

/* Decodes {1: sock, ...} and takes the socket; answers the error itself (NULL). */
static struct nb_sock *decode_sock(struct nb_req *req, const struct nb_field *fields,
				   struct nb_value *v, size_t n)
{
	if (nb_req_decode(req, fields, v, n) != 0) {
		return NULL;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
	}
	return s;
}

#define SOCK_FIELD {.key = 1, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX}

static void handle_close(struct nb_req *req)
{
	static const struct nb_field fields[] = {SOCK_FIELD};
	struct nb_value v[1];
	struct nb_sock *s = decode_sock(req, fields, v, 1);

	if (s == NULL) {
		return;
	}
	nb_sock_lock();
	s->closing = true; /* new lookups fail; waits give up at their next slice */
	s->refs--;
	nb_sock_unlock();
	nb_push_wake();

	k_timepoint_t end = sys_timepoint_calc(K_MSEC(NB_CLOSE_WAIT_MS));

	for (;;) {
		nb_sock_lock();
		bool idle = s->refs == 0;

		nb_sock_unlock();
		if (idle) {
			break;
		}
		if (sys_timepoint_expired(end)) {
			nb_sock_lock();
			s->closing = false; /* still in use: the host may try again */
			nb_sock_unlock();
			(void)nb_reply_err(req, EBUSY, "a call on the socket did not finish", 1);
			return;
		}
		k_sleep(K_MSEC(10));
	}
	int fd = s->fd;
	int rc = zsock_close(fd);
	int err = errno;

	nb_sock_lock();
	s->fd = -1;
	s->closing = false;
	nb_stat_add(NB_CNT_SOCKETS_OPEN, -1);
	nb_sock_unlock();
	if (rc != 0) {
		(void)nb_sock_reply_errno(req, err, "close");
		return;
	}
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(close, NB_OP_CLOSE, 0, handle_close);

static void handle_shutdown(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct nb_sock *s = decode_sock(req, fields, v, ARRAY_SIZE(fields));

	if (s == NULL) {
		return;
	}
	if (zsock_shutdown(s->fd, (int)v[1].u) != 0) {
		(void)nb_sock_reply_errno(req, errno, "shutdown");
	} else {
		(void)nb_reply_empty(req);
	}
	nb_sock_put(s);
}
NB_OP_DEFINE(shutdown, NB_OP_SHUTDOWN, 0, handle_shutdown);

/* BIND and CONNECT: {1: sock, 2: sockaddr}. */
static void handle_addr_op(struct nb_req *req, bool connect)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_ANY, .required = true},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why;
	struct nb_sock *s = decode_sock(req, fields, v, ARRAY_SIZE(fields));

	if (s == NULL) {
		return;
	}
	if (nb_sockaddr_decode(&v[1], &ss, &len, &why) != 0) {
		(void)nb_reply_err(req, EINVAL, why, 2);
	} else if ((connect ? zsock_connect(s->fd, (struct sockaddr *)&ss, len)
			    : zsock_bind(s->fd, (struct sockaddr *)&ss, len)) != 0) {
		(void)nb_sock_reply_errno(req, errno, connect ? "connect" : "bind");
	} else {
		(void)nb_reply_empty(req);
	}
	nb_sock_put(s);
}

static void handle_bind(struct nb_req *req)
{
	handle_addr_op(req, false);
}
NB_OP_DEFINE(bind, NB_OP_BIND, 0, handle_bind);

/* Blocking: TCP connects and TLS handshakes take as long as the peer (Zephyr bounds them with
 * CONFIG_NET_SOCKETS_CONNECT_TIMEOUT); a non-blocking socket answers EINPROGRESS at once. */
static void handle_connect(struct nb_req *req)
{
	handle_addr_op(req, true);
}
NB_OP_DEFINE(connect, NB_OP_CONNECT, NB_OP_MAY_BLOCK, handle_connect);

static void handle_listen(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct nb_sock *s = decode_sock(req, fields, v, ARRAY_SIZE(fields));

	if (s == NULL) {
		return;
	}
	if (zsock_listen(s->fd, (int)v[1].u) != 0) {
		(void)nb_sock_reply_errno(req, errno, "listen");
	} else {
		nb_sock_lock();
		s->listening = true;
		nb_sock_unlock();
		nb_push_wake();
		(void)nb_reply_empty(req);
	}
	nb_sock_put(s);
}
NB_OP_DEFINE(listen, NB_OP_LISTEN, 0, handle_listen);

static void handle_accept(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_INT},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct nb_sock *s = decode_sock(req, fields, v, ARRAY_SIZE(fields));

	if (s == NULL) {
		return;
	}
	int32_t timeout = v[1].present ? (int32_t)CLAMP(v[1].i, -1, INT32_MAX) : -1;

	if (nb_sock_nonblocking(s)) {
		timeout = 0;
	}
	int ready = nb_sock_wait(s, ZSOCK_POLLIN, timeout);
	int fd = -1;

	if (ready > 0) {
		fd = zsock_accept(s->fd, (struct sockaddr *)&peer, &len);
		ready = fd < 0 ? -errno : 0;
	}
	/* The next pending peer gets its own "acceptable" event in push mode. */
	nb_sock_lock();
	s->accept_told = false;
	nb_sock_unlock();
	nb_push_wake();
	nb_sock_put(s);

	if (fd < 0) {
		(void)nb_sock_reply_errno(req, -ready, ready == -EAGAIN ? "accept: nothing pending"
									: "accept");
		return;
	}
	if (nb_sock_register(fd) != 0) {
		zsock_close(fd);
		(void)nb_reply_err(req, EMFILE, "the bridge's socket table is full", 0);
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_enc_uint(&o.enc, 1, fd) || !nb_sockaddr_encode(&o.enc, 2, (struct sockaddr *)&peer)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, EAFNOSUPPORT, "peer address has no wire form", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(accept, NB_OP_ACCEPT, NB_OP_MAY_BLOCK, handle_accept);

static void handle_name(struct nb_req *req, bool peer)
{
	static const struct nb_field fields[] = {SOCK_FIELD};
	struct nb_value v[1];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct nb_sock *s = decode_sock(req, fields, v, 1);

	if (s == NULL) {
		return;
	}
	memset(&ss, 0, sizeof(ss));
	int rc = peer ? zsock_getpeername(s->fd, (struct sockaddr *)&ss, &len)
		      : zsock_getsockname(s->fd, (struct sockaddr *)&ss, &len);
	int err = errno;

	nb_sock_put(s);
	if (rc != 0) {
		(void)nb_sock_reply_errno(req, err, peer ? "getpeername" : "getsockname");
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_sockaddr_encode(&o.enc, 1, (struct sockaddr *)&ss)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, EAFNOSUPPORT, "address family has no wire form", 0);
		return;
	}
	(void)nb_out_send(&o);
}

static void handle_getsockname(struct nb_req *req)
{
	handle_name(req, false);
}
NB_OP_DEFINE(getsockname, NB_OP_GETSOCKNAME, 0, handle_getsockname);

static void handle_getpeername(struct nb_req *req)
{
	handle_name(req, true);
}
NB_OP_DEFINE(getpeername, NB_OP_GETPEERNAME, 0, handle_getpeername);
