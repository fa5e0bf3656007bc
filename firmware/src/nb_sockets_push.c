/*
 * The pusher (PROTOCOL.md §2.7): one thread zsock_poll()s the sockets in push mode and sends what
 * arrives as SOCK_DATA, never more than a socket's credit nor the data limit per frame, one frame
 * per ready socket per round from a rotating start (round robin). EOF, errors and pending peers on
 * listeners go out as SOCK_EVENT.
 *
 * Backpressure: a socket without credit is not polled (its TCP window closes on the peer), and
 * nothing is read unless a transmit buffer is free with one to spare for other notifications
 * (nb_ntf_room), so data read is never dropped: when the link stalls, the pusher waits.
 */
#include <errno.h>
#include <string.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/fdtable.h>

#include "nb_sockets.h"

LOG_MODULE_DECLARE(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

#define NB_MAX_SOCKS CONFIG_NETBRIDGE_MAX_SOCKETS
/* Transmit buffers left for other notifications (events, OVERRUN) while the pusher sends. */
#define NB_PUSH_SPARE_BUFFERS 1
/* How often the pusher looks again while no transmit buffer is free (ms). */
#define NB_PUSH_ROOM_RETRY_MS 5

static int wake_fds[2] = {-1, -1}; /* a socketpair: CLOSE and credit grants interrupt zsock_poll */
static uint8_t push_buf[CONFIG_NETBRIDGE_MTU];

void nb_push_wake(void)
{
	int fd = wake_fds[1];
	uint8_t b = 1;

	if (fd >= 0) {
		(void)zsock_send(fd, &b, 1, ZSOCK_MSG_DONTWAIT); /* a full pair is awake already */
	}
}

static void drain_wake(void)
{
	uint8_t b[16];

	while (zsock_recv(wake_fds[0], b, sizeof(b), ZSOCK_MSG_DONTWAIT) > 0) {
	}
}

/* Waits until a notification buffer is free; false when the socket is closing meanwhile. */
static bool wait_room(struct nb_sock *s)
{
	while (!nb_ntf_room(NB_PUSH_SPARE_BUFFERS)) {
		if (s->closing) {
			return false;
		}
		k_sleep(K_MSEC(NB_PUSH_ROOM_RETRY_MS));
	}
	return true;
}

/*
 * Sends one notification built by fill(). nb_ntf_begin can still fail when another notifier took
 * the buffer after wait_room (it then counts an OVERRUN): try again, the data is not lost.
 */
static void send_ntf(struct nb_sock *s, uint8_t op,
		     bool (*fill)(struct nb_enc *e, const void *arg), const void *arg)
{
	for (;;) {
		struct nb_out o;

		if (!wait_room(s)) {
			return;
		}
		if (nb_ntf_begin(&o, op, NB_OVERRUN_SOCKET_DATA) != 0) {
			k_sleep(K_MSEC(NB_PUSH_ROOM_RETRY_MS));
			continue;
		}
		if (!fill(&o.enc, arg)) {
			nb_out_abort(&o);
			LOG_ERR("push: notification does not fit");
			return;
		}
		(void)nb_out_send(&o);
		return;
	}
}

struct data_arg {
	int fd;
	const uint8_t *data;
	size_t len;
	const struct sockaddr *src;
};

static bool fill_data(struct nb_enc *e, const void *arg)
{
	const struct data_arg *a = arg;

	return nb_enc_uint(e, 1, a->fd) && nb_enc_bstr(e, 2, a->data, a->len) &&
	       (a->src == NULL || nb_sockaddr_encode(e, 3, a->src));
}

struct event_arg {
	int fd;
	int kind;
	int err;
};

static bool fill_event(struct nb_enc *e, const void *arg)
{
	const struct event_arg *a = arg;

	return nb_enc_uint(e, 1, a->fd) && nb_enc_uint(e, 2, a->kind) &&
	       (a->kind != NB_SOCK_EV_ERROR || nb_enc_int(e, 3, nb_errno_wire(a->err)));
}

static void send_event(struct nb_sock *s, int kind, int err)
{
	const struct event_arg a = {.fd = s->fd, .kind = kind, .err = err};

	send_ntf(s, NB_OP_SOCK_EVENT, fill_event, &a);
	if (kind != NB_SOCK_EV_ACCEPTABLE) {
		nb_sock_lock();
		s->ended = true;
		nb_sock_unlock();
	}
}

static void charge(struct nb_sock *s, size_t n)
{
	nb_sock_lock();
	s->credit -= MIN(s->credit, (uint32_t)n);
	s->need = 1;
	nb_sock_unlock();
}

/* One frame's worth from a ready socket. */
static void serve(struct nb_sock *s, short revents)
{
	size_t limit = MIN(nb_sock_data_limit(), sizeof(push_buf));

	if (revents & ZSOCK_POLLNVAL) {
		send_event(s, NB_SOCK_EV_ERROR, EBADF);
		return;
	}
	if (s->listening) {
		send_event(s, NB_SOCK_EV_ACCEPTABLE, 0);
		nb_sock_lock();
		s->accept_told = true;
		nb_sock_unlock();
		return;
	}
	if (s->type == SOCK_STREAM) {
		ssize_t n = zsock_recv(s->fd, push_buf, MIN(limit, s->credit), ZSOCK_MSG_DONTWAIT);

		if (n > 0) {
			const struct data_arg a = {.fd = s->fd, .data = push_buf, .len = (size_t)n};

			send_ntf(s, NB_OP_SOCK_DATA, fill_data, &a);
			charge(s, (size_t)n);
		} else if (n == 0) {
			send_event(s, NB_SOCK_EV_EOF, 0);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			send_event(s, NB_SOCK_EV_ERROR, errno);
		}
		return;
	}
	/* Datagrams go whole (cut to the data limit): peek at the length, wait for the credit. */
	ssize_t full = zsock_recv(s->fd, push_buf, limit,
				  ZSOCK_MSG_DONTWAIT | ZSOCK_MSG_PEEK | ZSOCK_MSG_TRUNC);

	if (full < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			send_event(s, NB_SOCK_EV_ERROR, errno);
		}
		return;
	}
	size_t take = MIN((size_t)full, limit);

	if (take > s->credit) {
		nb_sock_lock();
		s->need = (uint32_t)take; /* not polled until the host grants that much */
		nb_sock_unlock();
		return;
	}
	struct sockaddr_storage src;
	socklen_t slen = sizeof(src);
	ssize_t n = zsock_recvfrom(s->fd, push_buf, limit, ZSOCK_MSG_DONTWAIT,
				   (struct sockaddr *)&src, &slen);

	if (n < 0) {
		return;
	}
	if ((size_t)full > limit) {
		LOG_WRN("push: datagram of %d bytes cut to %u", (int)full, (unsigned int)limit);
	}
	const struct data_arg a = {
		.fd = s->fd,
		.data = push_buf,
		.len = MIN((size_t)n, limit),
		.src = (slen > 0 && (src.ss_family == AF_INET || src.ss_family == AF_INET6))
			       ? (struct sockaddr *)&src
			       : NULL,
	};

	send_ntf(s, NB_OP_SOCK_DATA, fill_data, &a);
	charge(s, a.len);
}

/* Whether the pusher polls s now, and for what. Under the table lock. */
static short wanted_events(const struct nb_sock *s)
{
	if (s->fd < 0 || s->closing || !s->push || s->ended) {
		return 0;
	}
	if (s->listening) {
		return s->accept_told ? 0 : ZSOCK_POLLIN;
	}
	return s->credit > 0 && s->credit >= s->need ? ZSOCK_POLLIN : 0;
}

static void push_main(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);
	static struct zsock_pollfd pfd[NB_MAX_SOCKS + 1];
	static struct nb_sock *ps[NB_MAX_SOCKS + 1];
	unsigned int start = 0;

	for (;;) {
		if (wake_fds[0] < 0 && IS_ENABLED(CONFIG_NET_SOCKETPAIR)) {
			int fds[2];

			if (zsock_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
				zsock_fcntl(fds[0], ZVFS_F_SETFL, ZVFS_O_NONBLOCK);
				wake_fds[0] = fds[0];
				wake_fds[1] = fds[1];
			}
		}
		size_t n = 0;
		bool starved = false; /* a socket wants polling but no transmit buffer is free */
		bool room = nb_ntf_room(NB_PUSH_SPARE_BUFFERS);

		if (wake_fds[0] >= 0) {
			pfd[n] = (struct zsock_pollfd){.fd = wake_fds[0], .events = ZSOCK_POLLIN};
			ps[n++] = NULL;
		}
		nb_sock_lock();
		struct nb_sock *table = nb_sock_table();

		for (unsigned int k = 0; k < NB_MAX_SOCKS; k++) {
			struct nb_sock *s = &table[(start + k) % NB_MAX_SOCKS];
			short ev = wanted_events(s);

			if (ev == 0) {
				continue;
			}
			if (!room) {
				starved = true;
				continue;
			}
			s->refs++;
			pfd[n] = (struct zsock_pollfd){.fd = s->fd, .events = ev};
			ps[n++] = s;
		}
		nb_sock_unlock();
		start++;

		int timeout = starved ? NB_PUSH_ROOM_RETRY_MS
			      : wake_fds[0] >= 0 ? -1 : CONFIG_NETBRIDGE_SOCKETS_WAIT_SLICE_MS;
		int ready = zsock_poll(pfd, n, timeout);

		for (size_t i = 0; i < n; i++) {
			if (ps[i] == NULL) {
				if (pfd[i].revents != 0) {
					drain_wake();
				}
				continue;
			}
			if (ready > 0 && pfd[i].revents != 0 && !ps[i]->closing) {
				serve(ps[i], pfd[i].revents);
			}
			nb_sock_put(ps[i]);
		}
		if (ready < 0) {
			LOG_ERR("push: poll failed (%d)", errno);
			k_sleep(K_MSEC(CONFIG_NETBRIDGE_SOCKETS_WAIT_SLICE_MS));
		}
	}
}

K_THREAD_DEFINE(nb_push, CONFIG_NETBRIDGE_SOCKETS_PUSH_STACK_SIZE, push_main, NULL, NULL, NULL,
		CONFIG_NETBRIDGE_SOCKETS_PUSH_PRIORITY, 0, 0);
