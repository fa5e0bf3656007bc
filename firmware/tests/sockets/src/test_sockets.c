/*
 * Socket op handlers against Zephyr's stack: loopback TCP/UDP and socketpair round trips through
 * the handlers, Zephyr's semantics (short reads, MSG_PEEK/DONTWAIT/TRUNC, O_NONBLOCK, FIONREAD),
 * typed socket options, the resolver, and errors by the board's errno number and name.
 */
#include <string.h>
#include <zcbor_decode.h>
#include <zcbor_encode.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/fdtable.h>
#include <zephyr/ztest.h>

#include "recording_core.h"
#include "test_sockets.h"

/* ---------------------------------------------------------------- small request wrappers */

int t_socket(int family, int type, int proto)
{
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {{.key = 1, .type = NB_FIELD_INT, .required = true}};
	struct nb_value v[1];

	treq_begin(&t, NB_OP_SOCKET);
	nb_enc_uint(&t.enc, 1, family);
	nb_enc_uint(&t.enc, 2, type);
	nb_enc_uint(&t.enc, 3, proto);
	treq_run(&t, &a);
	if (a.msg.kind != NB_KIND_RSP) {
		int e;
		char name[24];
		uint32_t field;

		err_get(&a, &e, name, sizeof(name), &field);
		return -e;
	}
	body_get(&a, f, v, 1);
	return (int)v[0].i;
}

void t_socketpair(int fds[2])
{
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {{.key = 1, .type = NB_FIELD_ANY, .required = true}};
	struct nb_value v[1];

	treq_begin(&t, NB_OP_SOCKETPAIR);
	nb_enc_uint(&t.enc, 1, AF_UNIX);
	nb_enc_uint(&t.enc, 2, SOCK_STREAM);
	nb_enc_uint(&t.enc, 3, 0);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	body_get(&a, f, v, 1);

	ZCBOR_STATE_D(zs, 2, v[0].s.ptr, v[0].s.len, 1, 0);
	uint32_t x, y;

	zassert_true(zcbor_list_start_decode(zs) && zcbor_uint32_decode(zs, &x) &&
		     zcbor_uint32_decode(zs, &y) && zcbor_list_end_decode(zs));
	fds[0] = (int)x;
	fds[1] = (int)y;
}

/* Answers of ops that answer {} or ERR: 0 or -errno. */
static int result_of(struct tmsg *a)
{
	if (a->msg.kind == NB_KIND_RSP) {
		return 0;
	}
	int e;
	char name[24];
	uint32_t field;

	err_get(a, &e, name, sizeof(name), &field);
	return -e;
}

int t_close(int fd)
{
	struct treq t;
	struct tmsg a;

	treq_begin(&t, NB_OP_CLOSE);
	nb_enc_uint(&t.enc, 1, fd);
	treq_run(&t, &a);
	return result_of(&a);
}

static bool enc_loopback(struct nb_enc *e, uint32_t key, uint16_t port)
{
	static const uint8_t lo[4] = {127, 0, 0, 1};

	return nb_enc_map_start(e, key) && nb_enc_uint(e, 1, AF_INET) && nb_enc_bstr(e, 2, lo, 4) &&
	       nb_enc_uint(e, 3, port) && nb_enc_map_end(e);
}

static int t_addr_op(uint8_t op, int fd, uint16_t port)
{
	struct treq t;
	struct tmsg a;

	treq_begin(&t, op);
	nb_enc_uint(&t.enc, 1, fd);
	enc_loopback(&t.enc, 2, port);
	treq_run(&t, &a);
	return result_of(&a);
}

int t_connect_loopback(int fd, uint16_t port)
{
	return t_addr_op(NB_OP_CONNECT, fd, port);
}

/* Port from GETSOCKNAME. */
static uint16_t t_port(int fd, uint8_t op)
{
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {{.key = 1, .type = NB_FIELD_ANY, .required = true}};
	static const struct nb_field sa[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_BSTR, .required = true},
		{.key = 3, .type = NB_FIELD_UINT, .required = true},
	};
	struct nb_value v[1], s[3];
	struct nb_body_error e;

	treq_begin(&t, op);
	nb_enc_uint(&t.enc, 1, fd);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	body_get(&a, f, v, 1);
	zassert_ok(nb_body_decode(v[0].s.ptr, v[0].s.len, sa, s, 3, &e));
	zassert_equal(s[0].u, AF_INET);
	zassert_equal(s[1].s.len, 4);
	return (uint16_t)s[2].u;
}

int t_send(int fd, const void *data, size_t len, int flags)
{
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {{.key = 1, .type = NB_FIELD_INT, .required = true}};
	struct nb_value v[1];

	treq_begin(&t, NB_OP_SEND);
	nb_enc_uint(&t.enc, 1, fd);
	nb_enc_bstr(&t.enc, 2, data, len);
	if (flags) {
		nb_enc_uint(&t.enc, 3, flags);
	}
	treq_run(&t, &a);
	if (a.msg.kind != NB_KIND_RSP) {
		return result_of(&a);
	}
	body_get(&a, f, v, 1);
	return (int)v[0].i;
}

/* RECV: bytes into buf (returns the length) or -errno; *trunc_flags gets key 4. */
static int t_recv_ex(int fd, void *buf, size_t max, int flags, int timeout_ms, bool want_src,
		     uint16_t *src_port, uint32_t *trunc_flags, uint32_t *full_len)
{
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_BSTR, .required = true},
		{.key = 2, .type = NB_FIELD_ANY},
		{.key = 3, .type = NB_FIELD_UINT},
		{.key = 4, .type = NB_FIELD_UINT},
	};
	struct nb_value v[4];

	treq_begin(&t, NB_OP_RECV);
	nb_enc_uint(&t.enc, 1, fd);
	nb_enc_uint(&t.enc, 2, max);
	if (flags) {
		nb_enc_uint(&t.enc, 3, flags);
	}
	if (want_src) {
		nb_enc_bool(&t.enc, 4, true);
	}
	nb_enc_int(&t.enc, 5, timeout_ms);
	treq_run(&t, &a);
	if (a.msg.kind != NB_KIND_RSP) {
		return result_of(&a);
	}
	body_get(&a, f, v, 4);
	memcpy(buf, v[0].s.ptr, v[0].s.len);
	if (src_port != NULL) {
		static const struct nb_field sa[] = {{.key = 3, .type = NB_FIELD_UINT}};
		struct nb_value s[1];
		struct nb_body_error e;

		zassert_true(v[1].present, "no source address");
		zassert_ok(nb_body_decode(v[1].s.ptr, v[1].s.len, sa, s, 1, &e));
		*src_port = (uint16_t)s[0].u;
	}
	if (trunc_flags != NULL) {
		*trunc_flags = v[3].present ? (uint32_t)v[3].u : 0;
	}
	if (full_len != NULL) {
		*full_len = v[2].present ? (uint32_t)v[2].u : 0;
	}
	return (int)v[0].s.len;
}

int t_recv(int fd, void *buf, size_t max, int flags, int timeout_ms)
{
	return t_recv_ex(fd, buf, max, flags, timeout_ms, false, NULL, NULL, NULL);
}

int t_close_all(void)
{
	int fds[CONFIG_NETBRIDGE_MAX_SOCKETS];
	int n = 0;

	nb_sock_lock();
	for (int i = 0; i < CONFIG_NETBRIDGE_MAX_SOCKETS; i++) {
		if (nb_sock_table()[i].fd >= 0) {
			fds[n++] = nb_sock_table()[i].fd;
		}
	}
	nb_sock_unlock();
	for (int i = 0; i < n; i++) {
		(void)t_close(fds[i]);
	}
	return n;
}

/* ---------------------------------------------------------------- tests */

static void before(void *f)
{
	ARG_UNUSED(f);
	rec_reset();
}

static void after(void *f)
{
	ARG_UNUSED(f);
	if (t_close_all() != 0) {
		TC_PRINT("closed sockets a failed test left open\n");
	}
}

ZTEST(sockets, test_tcp_loopback_round_trip)
{
	int srv = t_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	int cli = t_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	int64_t open_before = rec_counter(NB_CNT_SOCKETS_OPEN);

	zassert_true(srv >= 0 && cli >= 0);
	zassert_ok(t_addr_op(NB_OP_BIND, srv, 0));

	struct treq t;
	struct tmsg a;

	treq_begin(&t, NB_OP_LISTEN);
	nb_enc_uint(&t.enc, 1, srv);
	nb_enc_uint(&t.enc, 2, 2);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);

	uint16_t port = t_port(srv, NB_OP_GETSOCKNAME);

	zassert_not_equal(port, 0);
	zassert_ok(t_addr_op(NB_OP_CONNECT, cli, port));

	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_ANY, .required = true},
	};
	struct nb_value v[2];

	treq_begin(&t, NB_OP_ACCEPT);
	nb_enc_uint(&t.enc, 1, srv);
	nb_enc_int(&t.enc, 2, 2000);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	body_get(&a, f, v, 2);
	int conn = (int)v[0].u;

	zassert_equal(rec_counter(NB_CNT_SOCKETS_OPEN), open_before + 1, "accepted socket counted");
	zassert_equal(t_port(conn, NB_OP_GETPEERNAME), t_port(cli, NB_OP_GETSOCKNAME));

	zassert_equal(t_send(cli, "hello, board", 12, 0), 12);
	char buf[32];
	/* MSG_PEEK leaves the data. */
	zassert_equal(t_recv(conn, buf, 5, ZSOCK_MSG_PEEK, 2000), 5);
	zassert_mem_equal(buf, "hello", 5);
	/* A short read stays short: 5 of 12, then the rest. */
	int n = t_recv(conn, buf, 5, 0, 2000);

	zassert_equal(n, 5);
	zassert_mem_equal(buf, "hello", 5);
	n = t_recv(conn, buf, sizeof(buf), ZSOCK_MSG_WAITALL, 200);
	zassert_equal(n, 7, "WAITALL returns what came before the timeout");
	zassert_mem_equal(buf, ", board", 7);

	/* Orderly EOF: empty data. */
	zassert_ok(t_close(cli));
	n = t_recv(conn, buf, sizeof(buf), 0, 2000);
	zassert_equal(n, 0);
	zassert_ok(t_close(conn));
	zassert_ok(t_close(srv));
	zassert_equal(rec_counter(NB_CNT_SOCKETS_OPEN), open_before - 2);
}

ZTEST(sockets, test_socketpair_dontwait_nonblock_fionread)
{
	int fds[2];
	char buf[16];

	t_socketpair(fds);
	/* Nothing there: MSG_DONTWAIT answers EAGAIN at once, by the board's number. */
	zassert_equal(t_recv(fds[1], buf, sizeof(buf), ZSOCK_MSG_DONTWAIT, -1), -EAGAIN);
	/* A blocking receive with a timeout also ends in EAGAIN. */
	int64_t t0 = k_uptime_get();

	zassert_equal(t_recv(fds[1], buf, sizeof(buf), 0, 100), -EAGAIN);
	zassert_true(k_uptime_get() - t0 >= 90, "timed out early");

	zassert_equal(t_send(fds[0], "abcdef", 6, 0), 6);

	/* FIONREAD counts what waits. */
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {{.key = 1, .type = NB_FIELD_INT, .required = true}};
	struct nb_value v[1];

	treq_begin(&t, NB_OP_IOCTL);
	nb_enc_uint(&t.enc, 1, fds[1]);
	nb_enc_uint(&t.enc, 2, ZFD_IOCTL_FIONREAD);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	body_get(&a, f, v, 1);
	zassert_equal(v[0].i, 6);

	zassert_equal(t_recv(fds[1], buf, sizeof(buf), 0, 1000), 6);
	zassert_mem_equal(buf, "abcdef", 6);

	/* O_NONBLOCK through FCNTL: a plain receive answers EAGAIN without waiting. */
	treq_begin(&t, NB_OP_FCNTL);
	nb_enc_uint(&t.enc, 1, fds[1]);
	nb_enc_uint(&t.enc, 2, ZVFS_F_SETFL);
	nb_enc_int(&t.enc, 3, ZVFS_O_NONBLOCK);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	treq_begin(&t, NB_OP_FCNTL);
	nb_enc_uint(&t.enc, 1, fds[1]);
	nb_enc_uint(&t.enc, 2, ZVFS_F_GETFL);
	treq_run(&t, &a);
	body_get(&a, f, v, 1);
	zassert_true(v[0].i & ZVFS_O_NONBLOCK);
	t0 = k_uptime_get();
	zassert_equal(t_recv(fds[1], buf, sizeof(buf), 0, 5000), -EAGAIN);
	zassert_true(k_uptime_get() - t0 < 1000, "a non-blocking socket waited");

	zassert_ok(t_close(fds[0]));
	zassert_ok(t_close(fds[1]));
}

ZTEST(sockets, test_udp_source_and_trunc)
{
	int a_fd = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	int b_fd = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	char buf[64];
	uint16_t src = 0;
	uint32_t tflags = 0, full = 0;

	zassert_ok(t_addr_op(NB_OP_BIND, a_fd, 0));
	zassert_ok(t_addr_op(NB_OP_BIND, b_fd, 0));
	uint16_t a_port = t_port(a_fd, NB_OP_GETSOCKNAME);
	uint16_t b_port = t_port(b_fd, NB_OP_GETSOCKNAME);

	/* sendto: SEND with a destination. */
	struct treq t;
	struct tmsg ans;

	treq_begin(&t, NB_OP_SEND);
	nb_enc_uint(&t.enc, 1, b_fd);
	nb_enc_bstr(&t.enc, 2, "0123456789", 10);
	enc_loopback(&t.enc, 4, a_port);
	treq_run(&t, &ans);
	zassert_equal(ans.msg.kind, NB_KIND_RSP);

	/* recvfrom into 4 bytes: the datagram is cut, MSG_TRUNC out, the full length on request. */
	int n = t_recv_ex(a_fd, buf, 4, ZSOCK_MSG_TRUNC, 2000, true, &src, &tflags, &full);

	zassert_equal(n, 4);
	zassert_mem_equal(buf, "0123", 4);
	zassert_equal(src, b_port);
	zassert_equal(tflags, ZSOCK_MSG_TRUNC);
	zassert_equal(full, 10);
	/* The rest of a datagram is gone. */
	zassert_equal(t_recv(a_fd, buf, sizeof(buf), ZSOCK_MSG_DONTWAIT, 0), -EAGAIN);

	zassert_ok(t_close(a_fd));
	zassert_ok(t_close(b_fd));
}

ZTEST(sockets, test_errors_by_board_errno)
{
	struct treq t;
	struct tmsg a;
	int e;
	char name[24];
	uint32_t field;

	/* An fd the host never opened. */
	treq_begin(&t, NB_OP_CLOSE);
	nb_enc_uint(&t.enc, 1, 3);
	treq_run(&t, &a);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, EBADF);
	zassert_str_equal(name, "EBADF");
	zassert_equal(field, 1);

	/* A missing key names itself. */
	treq_begin(&t, NB_OP_SOCKET);
	nb_enc_uint(&t.enc, 1, AF_INET);
	treq_run(&t, &a);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, EINVAL);
	zassert_equal(field, 2);

	/* Zephyr's own error comes back by number and name. */
	int fd = t_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

	treq_begin(&t, NB_OP_CONNECT);
	nb_enc_uint(&t.enc, 1, fd);
	enc_loopback(&t.enc, 2, 9); /* nobody listens on 127.0.0.1:9 */
	treq_run(&t, &a);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, ECONNREFUSED, "got %d %s", e, name);
	zassert_str_equal(name, "ECONNREFUSED");
	zassert_ok(t_close(fd));

	/* A bad address: family and length disagree. */
	fd = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	treq_begin(&t, NB_OP_BIND);
	nb_enc_uint(&t.enc, 1, fd);
	nb_enc_map_start(&t.enc, 2);
	nb_enc_uint(&t.enc, 1, AF_INET6);
	nb_enc_bstr(&t.enc, 2, "\x7f\0\0\x01", 4);
	nb_enc_map_end(&t.enc);
	treq_run(&t, &a);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, EINVAL);
	zassert_equal(field, 2);
	zassert_ok(t_close(fd));

	/* This build has no TLS: a TLS socket and the credential ops say so. */
	zassert_equal(t_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS_1_2), -EPROTONOSUPPORT);
	treq_begin(&t, NB_OP_TLS_CRED_ADD);
	nb_enc_uint(&t.enc, 1, 1);
	nb_enc_uint(&t.enc, 2, 1);
	nb_enc_bstr(&t.enc, 3, "x", 1);
	treq_run(&t, &a);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, EOPNOTSUPP);
}

ZTEST(sockets, test_socket_table_bound)
{
	int fds[CONFIG_NETBRIDGE_MAX_SOCKETS];

	for (int i = 0; i < CONFIG_NETBRIDGE_MAX_SOCKETS; i++) {
		fds[i] = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
		zassert_true(fds[i] >= 0, "socket %d: %d", i, fds[i]);
	}
	zassert_equal(t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), -EMFILE);
	for (int i = 0; i < CONFIG_NETBRIDGE_MAX_SOCKETS; i++) {
		zassert_ok(t_close(fds[i]));
	}
	/* Closed means gone. */
	zassert_equal(t_close(fds[0]), -EBADF);
}

/* GET/SETSOCKOPT with typed values. */
static struct tmsg sockopt(uint8_t op, int fd, int level, int name, void (*value)(struct nb_enc *))
{
	struct treq t;
	struct tmsg a;

	treq_begin(&t, op);
	nb_enc_uint(&t.enc, 1, fd);
	nb_enc_int(&t.enc, 2, level);
	nb_enc_uint(&t.enc, 3, name);
	if (value != NULL) {
		value(&t.enc);
	}
	treq_run(&t, &a);
	return a;
}

static void v_one(struct nb_enc *e)
{
	nb_enc_int(e, 4, 1);
}

static void v_timeval(struct nb_enc *e)
{
	nb_enc_list_start(e, 4);
	zcbor_int32_put(nb_enc_state(e), 0);
	zcbor_int32_put(nb_enc_state(e), 150000);
	nb_enc_list_end(e);
}

static void v_text(struct nb_enc *e)
{
	nb_enc_tstr(e, 4, "yes");
}

ZTEST(sockets, test_sockopts_typed)
{
	int fd = t_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	static const struct nb_field f[] = {{.key = 1, .type = NB_FIELD_INT, .required = true}};
	struct nb_value v[1];
	struct tmsg a;
	int e;
	char name[24];
	uint32_t field;

	a = sockopt(NB_OP_GETSOCKOPT, fd, SOL_SOCKET, SO_TYPE, NULL);
	body_get(&a, f, v, 1);
	zassert_equal(v[0].i, SOCK_STREAM);

	a = sockopt(NB_OP_SETSOCKOPT, fd, SOL_SOCKET, SO_REUSEADDR, v_one);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	a = sockopt(NB_OP_GETSOCKOPT, fd, SOL_SOCKET, SO_REUSEADDR, NULL);
	body_get(&a, f, v, 1);
	zassert_equal(v[0].i, 1);

	a = sockopt(NB_OP_SETSOCKOPT, fd, IPPROTO_TCP, TCP_NODELAY, v_one);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	a = sockopt(NB_OP_GETSOCKOPT, fd, IPPROTO_TCP, TCP_NODELAY, NULL);
	body_get(&a, f, v, 1);
	zassert_equal(v[0].i, 1);

	/* An int option given a string: EINVAL naming the value. */
	a = sockopt(NB_OP_SETSOCKOPT, fd, SOL_SOCKET, SO_REUSEADDR, v_text);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, EINVAL);
	zassert_equal(field, 4);

	/* No TLS in this build. */
	a = sockopt(NB_OP_GETSOCKOPT, fd, SOL_TLS, TLS_PEER_VERIFY, NULL);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, ENOPROTOOPT);
	zassert_ok(t_close(fd));

	/* SO_RCVTIMEO as [sec, usec] bounds a blocking receive that gives no timeout of its own. */
	int fds[2];
	char buf[4];

	fds[0] = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	fds[1] = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	zassert_ok(t_addr_op(NB_OP_BIND, fds[1], 0));
	a = sockopt(NB_OP_SETSOCKOPT, fds[1], SOL_SOCKET, SO_RCVTIMEO, v_timeval);
	zassert_equal(a.msg.kind, NB_KIND_RSP, "SO_RCVTIMEO refused");

	struct treq t;
	int64_t t0 = k_uptime_get();

	treq_begin(&t, NB_OP_RECV);
	nb_enc_uint(&t.enc, 1, fds[1]);
	nb_enc_uint(&t.enc, 2, sizeof(buf));
	treq_run(&t, &a);
	err_get(&a, &e, name, sizeof(name), &field);
	zassert_equal(e, EAGAIN);
	int64_t took = k_uptime_get() - t0;

	zassert_true(took >= 140 && took < 1000, "waited %lld ms for a 150 ms SO_RCVTIMEO", took);
	zassert_ok(t_close(fds[0]));
	zassert_ok(t_close(fds[1]));
}

ZTEST(sockets, test_poll_and_resolver)
{
	int fds[2];
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_ANY, .required = true},
		{.key = 2, .type = NB_FIELD_UINT, .required = true},
	};
	struct nb_value v[2];

	t_socketpair(fds);
	zassert_equal(t_send(fds[0], "x", 1, 0), 1);
	treq_begin(&t, NB_OP_POLL);
	nb_enc_list_start(&t.enc, 1);
	for (int i = 0; i < 2; i++) {
		zcbor_list_start_encode(nb_enc_state(&t.enc), 2);
		zcbor_uint32_put(nb_enc_state(&t.enc), fds[i]);
		zcbor_uint32_put(nb_enc_state(&t.enc), ZSOCK_POLLIN);
		zcbor_list_end_encode(nb_enc_state(&t.enc), 2);
	}
	zcbor_list_start_encode(nb_enc_state(&t.enc), 2);
	zcbor_uint32_put(nb_enc_state(&t.enc), 1000); /* never opened: POLLNVAL */
	zcbor_uint32_put(nb_enc_state(&t.enc), ZSOCK_POLLIN);
	zcbor_list_end_encode(nb_enc_state(&t.enc), 2);
	nb_enc_list_end(&t.enc);
	nb_enc_int(&t.enc, 2, 1000);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	body_get(&a, f, v, 2);
	zassert_equal(v[1].u, 2, "fds[1] and the bad fd are ready");

	ZCBOR_STATE_D(zs, 2, v[0].s.ptr, v[0].s.len, 1, 0);
	uint32_t rev[3];

	zassert_true(zcbor_list_start_decode(zs) && zcbor_uint32_decode(zs, &rev[0]) &&
		     zcbor_uint32_decode(zs, &rev[1]) && zcbor_uint32_decode(zs, &rev[2]));
	zassert_equal(rev[0], 0);
	zassert_true(rev[1] & ZSOCK_POLLIN);
	zassert_equal(rev[2], ZSOCK_POLLNVAL);
	zassert_ok(t_close(fds[0]));
	zassert_ok(t_close(fds[1]));

	/* GETHOSTNAME: the board's. */
	static const struct nb_field h[] = {{.key = 1, .type = NB_FIELD_TSTR, .required = true}};

	treq_begin(&t, NB_OP_GETHOSTNAME);
	treq_run(&t, &a);
	body_get(&a, h, v, 1);
	zassert_true(v[0].s.len >= 6 && memcmp(v[0].s.ptr, "nbtest", 6) == 0);

	/* GETADDRINFO of a numeric host: one result with the port. */
	treq_begin(&t, NB_OP_GETADDRINFO);
	nb_enc_tstr(&t.enc, 1, "127.0.0.1");
	nb_enc_tstr(&t.enc, 2, "8080");
	nb_enc_map_start(&t.enc, 3);
	nb_enc_uint(&t.enc, 1, AF_INET);
	nb_enc_uint(&t.enc, 2, SOCK_STREAM);
	nb_enc_map_end(&t.enc);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	static const struct nb_field g[] = {{.key = 1, .type = NB_FIELD_ANY, .required = true}};

	body_get(&a, g, v, 1);
	zassert_true(v[0].s.len > 10, "no results");

	/* GETADDRINFO failure: key 5 the DNS_EAI_* value, key 2 its name, key 1 0. */
	treq_begin(&t, NB_OP_GETADDRINFO);
	nb_enc_tstr(&t.enc, 1, "not-a-number");
	nb_enc_map_start(&t.enc, 3);
	nb_enc_uint(&t.enc, 4, AI_NUMERICHOST);
	nb_enc_map_end(&t.enc);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_ERR);
	static const struct nb_field ef[] = {
		{.key = 1, .type = NB_FIELD_INT, .required = true},
		{.key = 2, .type = NB_FIELD_TSTR, .required = true},
		{.key = 5, .type = NB_FIELD_INT, .required = true},
	};
	struct nb_value ev[3];

	body_get(&a, ef, ev, 3);
	zassert_equal(ev[0].i, 0);
	zassert_true(ev[2].i < 0);
	zassert_true(ev[1].s.len > 8 && memcmp(ev[1].s.ptr, "DNS_EAI_", 8) == 0);

	/* GETNAMEINFO, numeric: host and service as text. */
	static const struct nb_field ni[] = {
		{.key = 1, .type = NB_FIELD_TSTR, .required = true},
		{.key = 2, .type = NB_FIELD_TSTR, .required = true},
	};

	treq_begin(&t, NB_OP_GETNAMEINFO);
	enc_loopback(&t.enc, 1, 8080);
	nb_enc_uint(&t.enc, 2, NI_NUMERICHOST | NI_NUMERICSERV);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	body_get(&a, ni, v, 2);
	zassert_true(v[0].s.len == 9 && memcmp(v[0].s.ptr, "127.0.0.1", 9) == 0);
	zassert_true(v[1].s.len == 4 && memcmp(v[1].s.ptr, "8080", 4) == 0);
}

ZTEST_SUITE(sockets, NULL, NULL, before, after, NULL);

/* SOCK_WRITE: bytes taken (>= 0) and the write offset after, or -errno. */
static int t_write(int fd, const void *data, size_t len, uint32_t offset, uint32_t *off_after)
{
	struct treq t;
	struct tmsg a;
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
	};
	struct nb_value v[2];

	treq_begin(&t, NB_OP_SOCK_WRITE);
	nb_enc_uint(&t.enc, 1, fd);
	nb_enc_bstr(&t.enc, 2, data, len);
	nb_enc_uint(&t.enc, 3, offset);
	treq_run(&t, &a);
	if (a.msg.kind != NB_KIND_RSP) {
		return result_of(&a);
	}
	body_get(&a, f, v, 2);
	*off_after = (uint32_t)v[1].u;
	return (int)v[0].u;
}

ZTEST(sockets, test_sock_write_takes_bytes_only_at_the_write_offset)
{
	int fds[2];
	uint32_t off;
	char buf[32];
	static uint8_t big[100];

	t_socketpair(fds);
	zassert_equal(t_write(fds[0], "hello", 5, 0, &off), 5);
	zassert_equal(off, 5);
	/* A request behind the offset (it was already taken, or an earlier one came up short) and
	 * one ahead of it take nothing, and the answer says where the stream stands. */
	zassert_equal(t_write(fds[0], "hello", 5, 0, &off), 0);
	zassert_equal(off, 5);
	zassert_equal(t_write(fds[0], "!!", 2, 7, &off), 0);
	zassert_equal(off, 5);
	zassert_equal(t_write(fds[0], "world", 5, 5, &off), 5);
	zassert_equal(off, 10);
	zassert_equal(t_recv(fds[1], buf, sizeof(buf), ZSOCK_MSG_DONTWAIT, -1), 10);
	zassert_mem_equal(buf, "helloworld", 10);

	/* A full buffer takes what fits (a short write), then nothing, and never blocks. */
	memset(big, 0x5a, sizeof(big));
	int n, total = 0;

	do {
		n = t_write(fds[0], big, sizeof(big), off, &off);
		zassert_true(n >= 0, "write failed %d", n);
		total += n;
		zassert_equal(off, 10 + (uint32_t)total);
	} while (n == (int)sizeof(big) && total < 64 * 1024);
	zassert_true(n < (int)sizeof(big), "the buffer never filled");
	int64_t t0 = k_uptime_get();

	zassert_equal(t_write(fds[0], big, sizeof(big), off, &off), 0);
	zassert_true(k_uptime_get() - t0 < 50, "blocked");
	zassert_equal(off, 10 + (uint32_t)total);

	/* Datagram sockets have no stream offset. */
	int u = t_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);

	zassert_true(u >= 0);
	zassert_equal(t_write(u, "x", 1, 0, &off), -EINVAL);
	zassert_equal(t_close(u), 0);
	zassert_equal(t_close(fds[0]), 0);
	zassert_equal(t_close(fds[1]), 0);
}
