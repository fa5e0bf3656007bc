/*
 * BSD socket ops (CDDL ops 0x20-0x3a, PROTOCOL.md §2.7) shared between the op handlers
 * (nb_sockets.c, nb_sockets_opt.c, nb_sockets_dns.c, nb_tls.c) and the pusher (nb_sockets_push.c).
 *
 * The host only reaches sockets it opened: every fd is looked up in a bounded table
 * (CONFIG_NETBRIDGE_MAX_SOCKETS). A lookup takes a reference; CLOSE marks the entry closing, wakes
 * whoever waits on it and closes the fd once the last reference is gone, so a blocking call on one
 * worker never races a close on another.
 */
#ifndef NB_SOCKETS_H_
#define NB_SOCKETS_H_

#include <stdbool.h>
#include <stdint.h>
#include <zephyr/net/socket.h>

#include "nb_internal.h"

/* Bytes a SOCK_DATA notification or RECV answer needs around its data (header, sock, bstr header,
 * source sockaddr, MSG_TRUNC length and flags). */
#define NB_SOCK_DATA_OVERHEAD 64

/* Socket's event kinds in SOCK_EVENT key 2. */
enum nb_sock_event {
	NB_SOCK_EV_EOF = 1,
	NB_SOCK_EV_ERROR = 2,
	NB_SOCK_EV_ACCEPTABLE = 3,
};

struct nb_sock {
	int fd;             /* -1: free slot */
	int type;           /* SOCK_STREAM, SOCK_DGRAM, ... (SO_TYPE at creation) */
	uint16_t refs;      /* lookups in progress (handlers, pusher) */
	bool closing;       /* CLOSE in progress: new lookups fail, waits give up */
	bool listening;
	/* push mode (SOCK_STREAM op) */
	bool push;
	bool ended;         /* EOF or error reported: no more polling */
	bool accept_told;   /* listener: "acceptable" sent, not again before the next ACCEPT */
	uint32_t credit;    /* bytes the host can still take */
	uint32_t need;      /* datagram sockets: credit the waiting datagram needs */
	uint32_t write_off; /* bytes SOCK_WRITE accepted (mod 2^32); only ordered handlers touch it */
	/* SO_RCVTIMEO / SO_SNDTIMEO as set through SETSOCKOPT, in ms (-1: none, block forever) */
	int32_t rcvtimeo_ms;
	int32_t sndtimeo_ms;
#ifdef CONFIG_NETBRIDGE_TLS
	/* TLS_ALPN_LIST keeps pointers to the names: they live here for the socket's life. */
	char alpn[CONFIG_NETBRIDGE_TLS_ALPN_MAX];
	const char *alpn_list[CONFIG_NETBRIDGE_TLS_ALPN_PROTOCOLS + 1];
#endif
};

/* ---------------------------------------------------------------- table */

/* The entry of fd with a reference taken, or NULL (not the host's, or closing). */
struct nb_sock *nb_sock_get(int fd);
void nb_sock_put(struct nb_sock *s);
/* Enters a new fd (refs 0). -EMFILE when the table is full (the caller closes fd). */
int nb_sock_register(int fd);
/* Table lock for the pusher and handlers that change push/listen state. */
void nb_sock_lock(void);
void nb_sock_unlock(void);
/* The table itself (CONFIG_NETBRIDGE_MAX_SOCKETS entries), under nb_sock_lock. */
struct nb_sock *nb_sock_table(void);
/* Sockets in the table now. */
int nb_sock_count(void);

/* ---------------------------------------------------------------- waiting */

/*
 * Waits for events on s in slices of CONFIG_NETBRIDGE_SOCKETS_WAIT_SLICE_MS, up to timeout_ms
 * (-1: forever, 0: just look). Returns the revents (> 0), -EAGAIN on timeout, -EBADF when the
 * socket is being closed, or another negative errno from zsock_poll.
 */
int nb_sock_wait(struct nb_sock *s, short events, int32_t timeout_ms);
/* True when the socket is in non-blocking mode (O_NONBLOCK through FCNTL or FIONBIO). */
bool nb_sock_nonblocking(struct nb_sock *s);

/* ---------------------------------------------------------------- pusher */

/* Wakes the pusher: credit granted, push mode entered, socket closing. */
void nb_push_wake(void);
/* Largest data in one SOCK_DATA or RECV answer under the peer's MTU. */
size_t nb_sock_data_limit(void);

/* ---------------------------------------------------------------- wire helpers */

/* Decodes a sockaddr map (an NB_FIELD_ANY value). 0 or -EINVAL (why says what). */
int nb_sockaddr_decode(const struct nb_value *v, struct sockaddr_storage *ss, socklen_t *len,
		       const char **why);
/* Encodes key => sockaddr map; false when it does not fit or the family has no wire form. */
bool nb_sockaddr_encode(struct nb_enc *e, uint32_t key, const struct sockaddr *sa);

/* ERR from the board's errno after a failed zsock call (errno, or EIO when it is unset). */
int nb_sock_reply_errno(struct nb_req *req, int err, const char *what);
/* ERR EBADF naming key 1: the fd is not a socket the host opened. */
int nb_sock_reply_badf(struct nb_req *req);
/* RSP {1: value} */
int nb_sock_reply_int(struct nb_req *req, int64_t value);

#endif /* NB_SOCKETS_H_ */
