/*
 * Socket ops, part 3: GETSOCKOPT / SETSOCKOPT with typed values, FCNTL (O_NONBLOCK) and IOCTL
 * (FIONBIO, FIONREAD).
 *
 * Each option's wire form (CDDL sockopt-value) is in the table below and in PROTOCOL.md §2.7.1;
 * options not in the table pass through: an int as a C int, a bstr as the raw struct, a list as an
 * int array; a get returns an int when the board answers sizeof(int) bytes, else a bstr.
 */
#include <errno.h>
#include <string.h>
#include <zcbor_decode.h>
#include <zcbor_encode.h>
#include <zephyr/kernel.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/socket.h>
#include <zephyr/sys/fdtable.h>

#include "nb_sockets.h"

#define SOCK_FIELD {.key = 1, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX}

/* Largest option value handled (bytes): 32 ints of a sec tag or cipher suite list. */
#define NB_OPT_MAX 128

enum opt_form {
	FORM_RAW,     /* not in the table: see the file comment */
	FORM_INT,     /* int */
	FORM_TIMEVAL, /* [sec, usec] (struct zsock_timeval) */
	FORM_PAIR,    /* [a, b] two C ints (SO_LINGER: [onoff, seconds]) */
	FORM_IFNAME,  /* tstr interface name (struct ifreq); "" unbinds */
	FORM_MREQ4,   /* bstr: group (4) [+ local address (4) [+ ifindex (4, big endian)]] */
	FORM_MREQ6,   /* bstr: group (16) [+ ifindex (4, big endian)] */
	FORM_INTS,    /* [* int] (sec_tag_t / cipher suite arrays) */
	FORM_STR,     /* tstr, passed NUL-terminated */
	FORM_ALPN,    /* tstr, protocol names separated by commas: "h2,http/1.1" */
	FORM_BYTES,   /* bstr */
};

struct opt_desc {
	int level;
	int name;
	uint8_t form;
};

static const struct opt_desc opt_table[] = {
	{SOL_SOCKET, SO_REUSEADDR, FORM_INT},
	{SOL_SOCKET, SO_TYPE, FORM_INT},
	{SOL_SOCKET, SO_ERROR, FORM_INT},
	{SOL_SOCKET, SO_BROADCAST, FORM_INT},
	{SOL_SOCKET, SO_SNDBUF, FORM_INT},
	{SOL_SOCKET, SO_RCVBUF, FORM_INT},
	{SOL_SOCKET, SO_KEEPALIVE, FORM_INT},
	{SOL_SOCKET, SO_PRIORITY, FORM_INT},
	{SOL_SOCKET, SO_LINGER, FORM_PAIR},
	{SOL_SOCKET, SO_REUSEPORT, FORM_INT},
	{SOL_SOCKET, SO_RCVTIMEO, FORM_TIMEVAL},
	{SOL_SOCKET, SO_SNDTIMEO, FORM_TIMEVAL},
	{SOL_SOCKET, SO_BINDTODEVICE, FORM_IFNAME},
	{SOL_SOCKET, SO_ACCEPTCONN, FORM_INT},
	{SOL_SOCKET, SO_TIMESTAMPING, FORM_INT},
	{SOL_SOCKET, SO_PROTOCOL, FORM_INT},
	{SOL_SOCKET, SO_DOMAIN, FORM_INT},
	{IPPROTO_TCP, TCP_NODELAY, FORM_INT},
	{IPPROTO_TCP, TCP_KEEPIDLE, FORM_INT},
	{IPPROTO_TCP, TCP_KEEPINTVL, FORM_INT},
	{IPPROTO_TCP, TCP_KEEPCNT, FORM_INT},
	{IPPROTO_IP, IP_TOS, FORM_INT},
	{IPPROTO_IP, IP_TTL, FORM_INT},
	{IPPROTO_IP, IP_PKTINFO, FORM_INT},
	{IPPROTO_IP, IP_MTU, FORM_INT},
	{IPPROTO_IP, IP_MULTICAST_TTL, FORM_INT},
	{IPPROTO_IP, IP_MULTICAST_LOOP, FORM_INT},
	{IPPROTO_IP, IP_MULTICAST_IF, FORM_MREQ4},
	{IPPROTO_IP, IP_ADD_MEMBERSHIP, FORM_MREQ4},
	{IPPROTO_IP, IP_DROP_MEMBERSHIP, FORM_MREQ4},
	{IPPROTO_IPV6, IPV6_UNICAST_HOPS, FORM_INT},
	{IPPROTO_IPV6, IPV6_MULTICAST_IF, FORM_INT},
	{IPPROTO_IPV6, IPV6_MULTICAST_HOPS, FORM_INT},
	{IPPROTO_IPV6, IPV6_MULTICAST_LOOP, FORM_INT},
	{IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, FORM_MREQ6},
	{IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, FORM_MREQ6},
	{IPPROTO_IPV6, IPV6_MTU, FORM_INT},
	{IPPROTO_IPV6, IPV6_V6ONLY, FORM_INT},
	{IPPROTO_IPV6, IPV6_RECVPKTINFO, FORM_INT},
	{IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, FORM_INT},
	{IPPROTO_IPV6, IPV6_TCLASS, FORM_INT},
	{SOL_TLS, TLS_SEC_TAG_LIST, FORM_INTS},
	{SOL_TLS, TLS_HOSTNAME, FORM_STR},
	{SOL_TLS, TLS_CIPHERSUITE_LIST, FORM_INTS},
	{SOL_TLS, TLS_CIPHERSUITE_USED, FORM_INT},
	{SOL_TLS, TLS_PEER_VERIFY, FORM_INT},
	{SOL_TLS, TLS_DTLS_ROLE, FORM_INT},
	{SOL_TLS, TLS_ALPN_LIST, FORM_ALPN},
	{SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MIN, FORM_INT},
	{SOL_TLS, TLS_DTLS_HANDSHAKE_TIMEOUT_MAX, FORM_INT},
	{SOL_TLS, TLS_CERT_NOCOPY, FORM_INT},
	{SOL_TLS, TLS_NATIVE, FORM_INT},
	{SOL_TLS, TLS_SESSION_CACHE, FORM_INT},
	{SOL_TLS, TLS_SESSION_CACHE_PURGE, FORM_INT},
	{SOL_TLS, TLS_DTLS_CID, FORM_INT},
	{SOL_TLS, TLS_DTLS_CID_STATUS, FORM_INT},
	{SOL_TLS, TLS_DTLS_CID_VALUE, FORM_BYTES},
	{SOL_TLS, TLS_DTLS_PEER_CID_VALUE, FORM_BYTES},
	{SOL_TLS, TLS_DTLS_HANDSHAKE_ON_CONNECT, FORM_INT},
	{SOL_TLS, TLS_CERT_VERIFY_RESULT, FORM_INT},
};

static uint8_t opt_form(int level, int name)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_table); i++) {
		if (opt_table[i].level == level && opt_table[i].name == name) {
			return opt_table[i].form;
		}
	}
	return FORM_RAW;
}

/* The value: one CBOR item; major type tells its shape. */
struct opt_value {
	enum { V_INT, V_BSTR, V_TSTR, V_LIST } kind;
	int64_t i;
	const uint8_t *ptr; /* BSTR, TSTR */
	size_t len;
	int32_t list[NB_OPT_MAX / sizeof(int32_t)];
	size_t n;
};

static bool decode_value(const struct nb_value *v, struct opt_value *out)
{
	ZCBOR_STATE_D(zs, 2, v->s.ptr, v->s.len, 1, 0);
	struct zcbor_string s;

	switch (ZCBOR_MAJOR_TYPE(v->s.ptr[0])) {
	case ZCBOR_MAJOR_TYPE_PINT:
	case ZCBOR_MAJOR_TYPE_NINT:
		out->kind = V_INT;
		return zcbor_int64_decode(zs, &out->i) && out->i >= INT32_MIN &&
		       out->i <= UINT32_MAX;
	case ZCBOR_MAJOR_TYPE_BSTR:
	case ZCBOR_MAJOR_TYPE_TSTR:
		out->kind = ZCBOR_MAJOR_TYPE(v->s.ptr[0]) == ZCBOR_MAJOR_TYPE_BSTR ? V_BSTR : V_TSTR;
		if (!(out->kind == V_BSTR ? zcbor_bstr_decode(zs, &s) : zcbor_tstr_decode(zs, &s)) ||
		    s.len > NB_OPT_MAX) {
			return false;
		}
		out->ptr = s.value;
		out->len = s.len;
		return true;
	case ZCBOR_MAJOR_TYPE_LIST:
		out->kind = V_LIST;
		out->n = 0;
		if (!zcbor_list_start_decode(zs)) {
			return false;
		}
		while (!zcbor_array_at_end(zs)) {
			if (out->n == ARRAY_SIZE(out->list) ||
			    !zcbor_int32_decode(zs, &out->list[out->n])) {
				return false;
			}
			out->n++;
		}
		return zcbor_list_end_decode(zs);
	default:
		return false;
	}
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#ifdef CONFIG_NETBRIDGE_TLS
/* Splits "a,b,c" into the socket's own storage (Zephyr keeps the pointers). */
static int alpn_store(struct nb_sock *s, const uint8_t *p, size_t len, void *buf,
		      socklen_t *optlen)
{
	size_t n = 0;

	if (len + 1 > sizeof(s->alpn)) {
		return -ENOMEM;
	}
	nb_sock_lock();
	memcpy(s->alpn, p, len);
	s->alpn[len] = '\0';
	for (char *q = s->alpn; len > 0 && q != NULL;) {
		if (n == CONFIG_NETBRIDGE_TLS_ALPN_PROTOCOLS) {
			nb_sock_unlock();
			return -E2BIG;
		}
		s->alpn_list[n++] = q;
		q = strchr(q, ',');
		if (q != NULL) {
			*q++ = '\0';
		}
	}
	s->alpn_list[n] = NULL;
	nb_sock_unlock();
	memcpy(buf, s->alpn_list, n * sizeof(char *));
	*optlen = n * sizeof(char *);
	return 0;
}
#endif

/*
 * Turns the wire value into the C value in buf for setsockopt. 0, or -EINVAL (why set) when the
 * value does not have the option's form.
 */
static int to_c_value(struct nb_sock *s, uint8_t form, const struct opt_value *v, void *buf,
		      socklen_t *optlen, const char **why)
{
	*why = "value has the wrong form for this option (see PROTOCOL.md 2.7.1)";
	switch (form) {
	case FORM_INT:
		if (v->kind != V_INT) {
			return -EINVAL;
		}
		*(int *)buf = (int)v->i;
		*optlen = sizeof(int);
		return 0;
	case FORM_TIMEVAL: {
		struct zsock_timeval *tv = buf;

		if (v->kind != V_LIST || v->n != 2 || v->list[0] < 0 || v->list[1] < 0 ||
		    v->list[1] >= 1000000) {
			return -EINVAL;
		}
		tv->tv_sec = v->list[0];
		tv->tv_usec = v->list[1];
		*optlen = sizeof(*tv);
		return 0;
	}
	case FORM_PAIR:
		if (v->kind != V_LIST || v->n != 2) {
			return -EINVAL;
		}
		((int *)buf)[0] = v->list[0];
		((int *)buf)[1] = v->list[1];
		*optlen = 2 * sizeof(int);
		return 0;
	case FORM_IFNAME: {
		struct ifreq *ifr = buf;

		if (v->kind != V_TSTR || v->len >= sizeof(ifr->ifr_name)) {
			return -EINVAL;
		}
		memset(ifr, 0, sizeof(*ifr));
		memcpy(ifr->ifr_name, v->ptr, v->len);
		*optlen = sizeof(*ifr);
		return 0;
	}
	case FORM_MREQ4: {
		struct ip_mreqn *m = buf;

		if (v->kind != V_BSTR || (v->len != 4 && v->len != 8 && v->len != 12)) {
			return -EINVAL;
		}
		memset(m, 0, sizeof(*m));
		memcpy(&m->imr_multiaddr, v->ptr, 4);
		if (v->len >= 8) {
			memcpy(&m->imr_address, v->ptr + 4, 4);
		}
		if (v->len == 12) {
			m->imr_ifindex = (int)be32(v->ptr + 8);
		}
		*optlen = sizeof(*m);
		return 0;
	}
	case FORM_MREQ6: {
		struct ipv6_mreq *m = buf;

		if (v->kind != V_BSTR || (v->len != 16 && v->len != 20)) {
			return -EINVAL;
		}
		memset(m, 0, sizeof(*m));
		memcpy(&m->ipv6mr_multiaddr, v->ptr, 16);
		if (v->len == 20) {
			m->ipv6mr_ifindex = (int)be32(v->ptr + 16);
		}
		*optlen = sizeof(*m);
		return 0;
	}
	case FORM_INTS:
		if (v->kind != V_LIST) {
			return -EINVAL;
		}
		for (size_t i = 0; i < v->n; i++) {
			((int *)buf)[i] = v->list[i];
		}
		*optlen = v->n * sizeof(int);
		return 0;
	case FORM_STR:
		if (v->kind != V_TSTR || v->len + 1 > NB_OPT_MAX) {
			return -EINVAL;
		}
		memcpy(buf, v->ptr, v->len);
		((char *)buf)[v->len] = '\0';
		*optlen = v->len + 1;
		return 0;
	case FORM_ALPN:
#ifdef CONFIG_NETBRIDGE_TLS
		if (v->kind != V_TSTR) {
			return -EINVAL;
		}
		*why = "ALPN list longer than the board keeps";
		return alpn_store(s, v->ptr, v->len, buf, optlen) == 0 ? 0 : -EINVAL;
#else
		return -EINVAL;
#endif
	case FORM_BYTES:
		if (v->kind != V_BSTR) {
			return -EINVAL;
		}
		memcpy(buf, v->ptr, v->len);
		*optlen = v->len;
		return 0;
	default: /* FORM_RAW */
		if (v->kind == V_INT) {
			return to_c_value(s, FORM_INT, v, buf, optlen, why);
		}
		if (v->kind == V_LIST) {
			return to_c_value(s, FORM_INTS, v, buf, optlen, why);
		}
		memcpy(buf, v->ptr, v->len); /* BSTR / TSTR as bytes */
		*optlen = v->len;
		return 0;
	}
}

static int32_t timeval_ms(const struct zsock_timeval *tv)
{
	if (tv->tv_sec == 0 && tv->tv_usec == 0) {
		return -1; /* Zephyr: a zero timeout blocks forever */
	}
	int64_t ms = (int64_t)tv->tv_sec * 1000 + DIV_ROUND_UP(tv->tv_usec, 1000);

	return (int32_t)MIN(ms, INT32_MAX);
}

static void handle_setsockopt(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_INT, .required = true},
		{.key = 3, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 4, .type = NB_FIELD_ANY, .required = true},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct opt_value val;
	union {
		int i;
		uint8_t bytes[NB_OPT_MAX + sizeof(int)];
		struct ifreq ifr;
		struct zsock_timeval tv;
	} c;
	socklen_t optlen = 0;
	const char *why;

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (!decode_value(&v[3], &val)) {
		(void)nb_reply_err(req, EINVAL, "key 4: not an int, bstr, tstr or [* int] in range", 4);
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	int level = (int)v[1].i;
	int name = (int)v[2].u;
	uint8_t form = opt_form(level, name);

	if (level == SOL_TLS && !IS_ENABLED(CONFIG_NETBRIDGE_TLS)) {
		nb_sock_put(s);
		(void)nb_reply_err(req, ENOPROTOOPT, "board built without TLS (F_TLS clear)", 2);
		return;
	}
	if (to_c_value(s, form, &val, &c, &optlen, &why) != 0) {
		nb_sock_put(s);
		(void)nb_reply_err(req, EINVAL, why, 4);
		return;
	}
	if (zsock_setsockopt(s->fd, level, name, &c, optlen) != 0) {
		int err = errno;

		nb_sock_put(s);
		(void)nb_sock_reply_errno(req, err, "setsockopt");
		return;
	}
	/* Our own waits honour the socket's timeouts (RECV/SEND wait outside Zephyr). */
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		nb_sock_lock();
		*(name == SO_RCVTIMEO ? &s->rcvtimeo_ms : &s->sndtimeo_ms) = timeval_ms(&c.tv);
		nb_sock_unlock();
	}
	nb_sock_put(s);
	(void)nb_reply_empty(req);
}
NB_OP_DEFINE(setsockopt, NB_OP_SETSOCKOPT, 0, handle_setsockopt);

/* Encodes key 1 => the C value in buf (optlen bytes) in the option's wire form. */
static bool encode_c_value(struct nb_enc *e, uint8_t form, const void *buf, socklen_t optlen)
{
	zcbor_state_t *zs = nb_enc_state(e);

	switch (form) {
	case FORM_INT:
		return optlen >= sizeof(int) ? nb_enc_int(e, 1, *(const int *)buf)
					     : nb_enc_int(e, 1, optlen ? *(const uint8_t *)buf : 0);
	case FORM_TIMEVAL: {
		const struct zsock_timeval *tv = buf;

		return nb_enc_list_start(e, 1) && zcbor_int64_put(zs, tv->tv_sec) &&
		       zcbor_int64_put(zs, tv->tv_usec) && nb_enc_list_end(e);
	}
	case FORM_PAIR:
		return nb_enc_list_start(e, 1) && zcbor_int32_put(zs, ((const int *)buf)[0]) &&
		       zcbor_int32_put(zs, ((const int *)buf)[1]) && nb_enc_list_end(e);
	case FORM_IFNAME: {
		const struct ifreq *ifr = buf;
		char name[sizeof(ifr->ifr_name) + 1] = {0};

		memcpy(name, ifr->ifr_name, sizeof(ifr->ifr_name));
		return nb_enc_tstr(e, 1, name);
	}
	case FORM_INTS: {
		bool ok = nb_enc_list_start(e, 1);

		for (size_t i = 0; ok && i < optlen / sizeof(int); i++) {
			ok = zcbor_int32_put(zs, ((const int *)buf)[i]);
		}
		return ok && nb_enc_list_end(e);
	}
	case FORM_STR:
		return zcbor_uint32_put(zs, 1) &&
		       zcbor_tstr_encode_ptr(zs, buf, strnlen(buf, optlen));
	case FORM_RAW:
		if (optlen == sizeof(int)) {
			return nb_enc_int(e, 1, *(const int *)buf);
		}
		__fallthrough;
	default: /* FORM_BYTES, MREQ4/6, ALPN: the bytes as the board gave them */
		return nb_enc_bstr(e, 1, buf, optlen);
	}
}

static void handle_getsockopt(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_INT, .required = true},
		{.key = 3, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	union {
		int i;
		uint8_t bytes[NB_OPT_MAX];
		struct ifreq ifr;
		struct zsock_timeval tv;
	} c;

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	int level = (int)v[1].i;
	int name = (int)v[2].u;
	uint8_t form = opt_form(level, name);
	socklen_t optlen;

	if (level == SOL_TLS && !IS_ENABLED(CONFIG_NETBRIDGE_TLS)) {
		nb_sock_put(s);
		(void)nb_reply_err(req, ENOPROTOOPT, "board built without TLS (F_TLS clear)", 2);
		return;
	}
	memset(&c, 0, sizeof(c));
	switch (form) {
	case FORM_INT:
		optlen = sizeof(int);
		break;
	case FORM_TIMEVAL:
		optlen = sizeof(struct zsock_timeval);
		break;
	case FORM_PAIR:
		optlen = 2 * sizeof(int);
		break;
	case FORM_IFNAME:
		optlen = sizeof(struct ifreq);
		break;
	default:
		optlen = sizeof(c.bytes);
		break;
	}
	int rc = zsock_getsockopt(s->fd, level, name, &c, &optlen);
	int err = errno;

	if (rc == 0 && level == SOL_SOCKET && name == SO_ERROR && optlen >= sizeof(int)) {
		c.i = nb_errno_wire(c.i); /* an errno value: Zephyr's number on the wire */
	}

	nb_sock_put(s);
	if (rc != 0) {
		(void)nb_sock_reply_errno(req, err, "getsockopt");
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!encode_c_value(&o.enc, form, &c, MIN(optlen, sizeof(c.bytes)))) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(getsockopt, NB_OP_GETSOCKOPT, 0, handle_getsockopt);

/* ---------------------------------------------------------------- fcntl, ioctl */

static void handle_fcntl(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
		{.key = 3, .type = NB_FIELD_INT},
	};
	struct nb_value v[ARRAY_SIZE(fields)];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	int cmd = (int)v[1].u;

	if (cmd != ZVFS_F_GETFL && cmd != ZVFS_F_SETFL) {
		(void)nb_reply_err(req, EINVAL, "key 2: only F_GETFL (3) and F_SETFL (4)", 2);
		return;
	}
	if (cmd == ZVFS_F_SETFL && !v[2].present) {
		(void)nb_reply_err(req, EINVAL, "key 3: F_SETFL needs the flags", 3);
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	int rc = cmd == ZVFS_F_GETFL ? zsock_fcntl(s->fd, cmd, 0)
				     : zsock_fcntl(s->fd, cmd, (int)v[2].i);
	int err = errno;

	nb_sock_put(s);
	if (rc < 0) {
		(void)nb_sock_reply_errno(req, err, "fcntl");
		return;
	}
	(void)nb_sock_reply_int(req, rc);
}
NB_OP_DEFINE(fcntl, NB_OP_FCNTL, 0, handle_fcntl);

static void handle_ioctl(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		SOCK_FIELD,
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
		{.key = 3, .type = NB_FIELD_INT},
	};
	struct nb_value v[ARRAY_SIZE(fields)];

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	unsigned long request = (unsigned long)v[1].u;

	if (request != ZFD_IOCTL_FIONBIO && request != ZFD_IOCTL_FIONREAD) {
		(void)nb_reply_err(req, EINVAL, "key 2: only FIONBIO and FIONREAD", 2);
		return;
	}
	if (request == ZFD_IOCTL_FIONBIO && !v[2].present) {
		(void)nb_reply_err(req, EINVAL, "key 3: FIONBIO needs 0 or 1", 3);
		return;
	}
	struct nb_sock *s = nb_sock_get((int)v[0].u);

	if (s == NULL) {
		(void)nb_sock_reply_badf(req);
		return;
	}
	int arg = v[2].present ? (int)v[2].i : 0;
	int rc = zsock_ioctl(s->fd, request, &arg);
	int err = errno;

	nb_sock_put(s);
	if (rc < 0) {
		(void)nb_sock_reply_errno(req, err, "ioctl");
		return;
	}
	/* FIONREAD: the bytes waiting; FIONBIO: 0. */
	(void)nb_sock_reply_int(req, request == ZFD_IOCTL_FIONREAD ? arg : rc);
}
NB_OP_DEFINE(ioctl, NB_OP_IOCTL, 0, handle_ioctl);
