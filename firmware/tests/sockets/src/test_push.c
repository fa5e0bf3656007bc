/*
 * Push mode through the real pusher thread: data up to the credit only, nothing read while the
 * link has no room (and nothing lost), EOF and "acceptable" events, RECV refused on a pushed socket.
 */
#include <string.h>
#include <zephyr/net/socket.h>
#include <zephyr/ztest.h>

#include "recording_core.h"
#include "test_sockets.h"

static void grant(int fd, uint32_t credit)
{
	struct treq t;
	struct tmsg a;

	treq_begin(&t, NB_OP_SOCK_STREAM);
	nb_enc_uint(&t.enc, 1, fd);
	nb_enc_uint(&t.enc, 2, credit);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
}

/* Next SOCK_DATA for fd: its bytes into buf, the length returned; -1 when none came. */
static int next_data(int fd, void *buf, k_timeout_t wait)
{
	struct tmsg m;
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_BSTR, .required = true},
	};
	struct nb_value v[2];

	if (!next_ntf(&m, wait)) {
		return -1;
	}
	zassert_equal(m.msg.op, NB_OP_SOCK_DATA, "op 0x%x", m.msg.op);
	body_get(&m, f, v, 2);
	zassert_equal(v[0].u, fd);
	memcpy(buf, v[1].s.ptr, v[1].s.len);
	return (int)v[1].s.len;
}

static void expect_event(int fd, int kind)
{
	struct tmsg m;
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_UINT, .required = true},
	};
	struct nb_value v[2];

	zassert_true(next_ntf(&m, K_SECONDS(2)), "no SOCK_EVENT");
	zassert_equal(m.msg.op, NB_OP_SOCK_EVENT, "op 0x%x", m.msg.op);
	body_get(&m, f, v, 2);
	zassert_equal(v[0].u, fd);
	zassert_equal(v[1].u, kind);
}

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

ZTEST(push, test_credit_bounds_data_and_eof)
{
	int fds[2];
	char buf[64];

	t_socketpair(fds);
	grant(fds[1], 5);
	zassert_equal(t_send(fds[0], "abcdefghij", 10, 0), 10);
	zassert_equal(next_data(fds[1], buf, K_SECONDS(2)), 5);
	zassert_mem_equal(buf, "abcde", 5);
	/* Credit spent: nothing more until the host grants. */
	zassert_equal(next_data(fds[1], buf, K_MSEC(200)), -1, "pushed beyond the credit");

	/* A pushed socket is not read with RECV. */
	zassert_equal(t_recv(fds[1], buf, sizeof(buf), ZSOCK_MSG_DONTWAIT, 0), -EBUSY);

	grant(fds[1], 100);
	zassert_equal(next_data(fds[1], buf, K_SECONDS(2)), 5);
	zassert_mem_equal(buf, "fghij", 5);

	zassert_ok(t_close(fds[0]));
	expect_event(fds[1], NB_SOCK_EV_EOF);
	zassert_ok(t_close(fds[1]));
}

ZTEST(push, test_no_room_no_read_no_loss)
{
	int fds[2];
	char buf[300];

	t_socketpair(fds);
	rec_set_room(false); /* the link is stalled */
	grant(fds[1], 1000);
	zassert_equal(t_send(fds[0], "0123456789", 10, 0), 10);
	zassert_equal(next_data(fds[1], buf, K_MSEC(200)), -1, "pushed without room");
	zassert_equal(rec_overruns(), 0, "nothing may be dropped");

	rec_set_room(true);
	zassert_equal(next_data(fds[1], buf, K_SECONDS(2)), 10);
	zassert_mem_equal(buf, "0123456789", 10);
	zassert_ok(t_close(fds[0]));
	expect_event(fds[1], NB_SOCK_EV_EOF);
	zassert_ok(t_close(fds[1]));
}

ZTEST(push, test_busy_socket_does_not_starve_another)
{
	int srv = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); /* the remote side: not the host's */
	int cli = t_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	int pair[2];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	static uint8_t bulk[1500];
	uint8_t buf[CONFIG_NETBRIDGE_MTU];
	struct tmsg m;
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true},
		{.key = 2, .type = NB_FIELD_BSTR, .required = true},
	};
	struct nb_value v[2];

	sin.sin_addr.s_addr = htonl(0x7f000001);
	zassert_ok(zsock_bind(srv, (struct sockaddr *)&sin, sizeof(sin)));
	zassert_ok(zsock_listen(srv, 1));
	zassert_ok(zsock_getsockname(srv, (struct sockaddr *)&sin, &len));
	zassert_ok(t_connect_loopback(cli, ntohs(sin.sin_port)));
	int peer = zsock_accept(srv, NULL, NULL);

	zassert_true(peer >= 0);
	t_socketpair(pair);

	/* The TCP socket has several frames waiting, the socketpair one small message. */
	rec_set_room(false);
	grant(cli, sizeof(bulk));
	grant(pair[1], 100);
	memset(bulk, 'A', sizeof(bulk));
	/* As much as the loopback TCP window takes without the host reading. */
	size_t sent = 0;

	while (sent < sizeof(bulk)) {
		ssize_t n = zsock_send(peer, bulk + sent, sizeof(bulk) - sent, ZSOCK_MSG_DONTWAIT);

		if (n <= 0) {
			zassert_true(errno == EAGAIN, "send: %d", errno);
			break;
		}
		sent += n;
		k_sleep(K_MSEC(10));
	}
	zassert_true(sent > 2 * nb_sock_data_limit(), "only %u bytes in flight", (unsigned)sent);
	zassert_equal(t_send(pair[0], "BB", 2, 0), 2);
	k_sleep(K_MSEC(100)); /* both are readable before the link opens */
	rec_set_room(true);

	int total_a = 0, frames = 0, b_at = -1;

	while (total_a < (int)sent || b_at < 0) {
		zassert_true(next_ntf(&m, K_SECONDS(2)), "data stopped after %d bytes", total_a);
		zassert_equal(m.msg.op, NB_OP_SOCK_DATA);
		body_get(&m, f, v, 2);
		zassert_true(v[1].s.len <= nb_sock_data_limit(), "frame above the data limit");
		if (v[0].u == (uint64_t)pair[1]) {
			b_at = frames;
		} else {
			zassert_equal(v[0].u, cli);
			total_a += v[1].s.len;
		}
		frames++;
	}
	zassert_equal(total_a, sent, "all of the bulk data, no more");
	zassert_true(frames >= 3, "the bulk took several frames");
	zassert_true(b_at <= 1, "the small socket waited behind %d frames", b_at);
	ARG_UNUSED(buf);

	zsock_close(peer);
	zsock_close(srv);
	grant(cli, 1); /* a socket without credit is not polled: EOF shows with the next grant */
	expect_event(cli, NB_SOCK_EV_EOF);
	zassert_ok(t_close(cli));
	zassert_ok(t_close(pair[0]));
	zassert_ok(t_close(pair[1]));
}

ZTEST(push, test_listener_acceptable)
{
	int srv = t_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	int cli = zsock_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); /* the peer: not the host's */
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	struct treq t;
	struct tmsg a;

	zassert_true(srv >= 0 && cli >= 0);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	zassert_ok(zsock_bind(srv, (struct sockaddr *)&sin, sizeof(sin)));
	treq_begin(&t, NB_OP_LISTEN);
	nb_enc_uint(&t.enc, 1, srv);
	nb_enc_uint(&t.enc, 2, 1);
	treq_run(&t, &a);
	zassert_equal(a.msg.kind, NB_KIND_RSP);
	zassert_ok(zsock_getsockname(srv, (struct sockaddr *)&sin, &len));
	grant(srv, 0);
	zassert_ok(zsock_connect(cli, (struct sockaddr *)&sin, sizeof(sin)));
	expect_event(srv, NB_SOCK_EV_ACCEPTABLE);
	zsock_close(cli);
	zassert_ok(t_close(srv));
}

ZTEST_SUITE(push, NULL, NULL, before, after, NULL);
