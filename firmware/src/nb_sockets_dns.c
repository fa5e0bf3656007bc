/*
 * Socket ops, part 4: GETHOSTNAME, GETADDRINFO, GETNAMEINFO. Resolver failures answer ERR with
 * key 5 = the DNS_EAI_* value and key 2 its name (key 1 = errno for DNS_EAI_SYSTEM, else 0).
 */
#include <errno.h>
#include <string.h>
#include <zcbor_encode.h>
#include <zephyr/kernel.h>
#include <zephyr/net/dns_resolve.h>
#include <zephyr/net/hostname.h>
#include <zephyr/net/socket.h>

#include "nb_sockets.h"

/* Longest service name or port number taken and given (Zephyr defines no NB_MAXSERV). */
#define NB_MAXSERV 32

/* Bytes one getaddrinfo item takes at most on the wire (IPv6 sockaddr, no canonical name). */
#define NB_AI_ITEM_MAX 48

static const char *eai_name(int gai)
{
	switch (gai) {
	case DNS_EAI_BADFLAGS: return "DNS_EAI_BADFLAGS";
	case DNS_EAI_NONAME: return "DNS_EAI_NONAME";
	case DNS_EAI_AGAIN: return "DNS_EAI_AGAIN";
	case DNS_EAI_FAIL: return "DNS_EAI_FAIL";
	case DNS_EAI_NODATA: return "DNS_EAI_NODATA";
	case DNS_EAI_FAMILY: return "DNS_EAI_FAMILY";
	case DNS_EAI_SOCKTYPE: return "DNS_EAI_SOCKTYPE";
	case DNS_EAI_SERVICE: return "DNS_EAI_SERVICE";
	case DNS_EAI_ADDRFAMILY: return "DNS_EAI_ADDRFAMILY";
	case DNS_EAI_MEMORY: return "DNS_EAI_MEMORY";
	case DNS_EAI_SYSTEM: return "DNS_EAI_SYSTEM";
	case DNS_EAI_OVERFLOW: return "DNS_EAI_OVERFLOW";
	case DNS_EAI_CANCELED: return "DNS_EAI_CANCELED";
	default: return "DNS_EAI_?";
	}
}

static void reply_gai(struct nb_req *req, int gai, const char *what)
{
	const struct nb_err e = {
		.errnum = gai == DNS_EAI_SYSTEM ? errno : 0,
		.name = eai_name(gai),
		.extack = what,
		.has_gai = true,
		.gai = gai,
	};
	struct nb_out o;
	size_t len;

	if (nb_out_begin(&o, req, NB_KIND_ERR) != 0) {
		return;
	}
	if (nb_msg_encode_err_body(o.msg->data, MIN(o.msg->cap, nb_peer_mtu()), req->msg.op,
				   req->msg.id, &e, &len) != 0) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, what, 0);
		return;
	}
	(void)nb_out_send_encoded(&o, len);
}

static void handle_gethostname(struct nb_req *req)
{
	char name[NET_HOSTNAME_MAX_LEN + 1] = {0};
	struct nb_out o;

	if (zsock_gethostname(name, sizeof(name) - 1) != 0) {
		(void)nb_sock_reply_errno(req, errno, "gethostname");
		return;
	}
	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_enc_tstr(&o.enc, 1, name)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(gethostname, NB_OP_GETHOSTNAME, 0, handle_gethostname);

/* Copies a decoded tstr into a NUL-terminated buffer; false when it does not fit. */
static bool copy_str(char *dst, size_t cap, const struct nb_value *v)
{
	if (v->s.len + 1 > cap) {
		return false;
	}
	memcpy(dst, v->s.ptr, v->s.len);
	dst[v->s.len] = '\0';
	return true;
}

static void handle_getaddrinfo(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_TSTR, .required = true, .max = NI_MAXHOST},
		{.key = 2, .type = NB_FIELD_TSTR, .max = NB_MAXSERV},
		{.key = 3, .type = NB_FIELD_ANY},
	};
	static const struct nb_field hint_fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .max = INT32_MAX},
		{.key = 2, .type = NB_FIELD_UINT, .max = INT32_MAX},
		{.key = 3, .type = NB_FIELD_UINT, .max = INT32_MAX},
		{.key = 4, .type = NB_FIELD_UINT, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct nb_value h[ARRAY_SIZE(hint_fields)];
	char node[NI_MAXHOST + 1];
	char service[NB_MAXSERV + 1];
	struct zsock_addrinfo hints = {0};
	struct zsock_addrinfo *res = NULL;
	struct nb_body_error be;

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (v[2].present) {
		if (nb_body_decode(v[2].s.ptr, v[2].s.len, hint_fields, h, ARRAY_SIZE(h), &be) != 0) {
			(void)nb_reply_err(req, EINVAL, "key 3: hints malformed", 3);
			return;
		}
		hints.ai_family = h[0].present ? (int)h[0].u : AF_UNSPEC;
		hints.ai_socktype = h[1].present ? (int)h[1].u : 0;
		hints.ai_protocol = h[2].present ? (int)h[2].u : 0;
		hints.ai_flags = h[3].present ? (int)h[3].u : 0;
	}
	(void)copy_str(node, sizeof(node), &v[0]);
	if (v[1].present) {
		(void)copy_str(service, sizeof(service), &v[1]);
	}
	int gai = zsock_getaddrinfo(node, v[1].present ? service : NULL,
				    v[2].present ? &hints : NULL, &res);

	if (gai != 0) {
		reply_gai(req, gai, "getaddrinfo");
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		zsock_freeaddrinfo(res);
		return;
	}
	/* As many results as surely fit the peer's MTU; the first ones are the preferred ones. */
	size_t room = nb_peer_mtu() > 24 ? (nb_peer_mtu() - 24) : 0;
	bool ok = nb_enc_list_start(&o.enc, 1);

	for (struct zsock_addrinfo *ai = res; ok && ai != NULL; ai = ai->ai_next) {
		size_t item = NB_AI_ITEM_MAX + (ai->ai_canonname ? strlen(ai->ai_canonname) + 3 : 0);

		if (item > room) {
			break;
		}
		room -= item;
		if (ai->ai_addr == NULL ||
		    (ai->ai_addr->sa_family != AF_INET && ai->ai_addr->sa_family != AF_INET6)) {
			continue;
		}
		ok = zcbor_map_start_encode(nb_enc_state(&o.enc), 5) &&
		     nb_enc_uint(&o.enc, 1, ai->ai_family) &&
		     nb_enc_uint(&o.enc, 2, ai->ai_socktype) &&
		     nb_enc_uint(&o.enc, 3, ai->ai_protocol) &&
		     nb_sockaddr_encode(&o.enc, 4, ai->ai_addr) &&
		     (ai->ai_canonname == NULL || nb_enc_tstr(&o.enc, 5, ai->ai_canonname)) &&
		     zcbor_map_end_encode(nb_enc_state(&o.enc), 5);
	}
	zsock_freeaddrinfo(res);
	if (!ok || !nb_enc_list_end(&o.enc)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(getaddrinfo, NB_OP_GETADDRINFO, NB_OP_MAY_BLOCK, handle_getaddrinfo);

static void handle_getnameinfo(struct nb_req *req)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_ANY, .required = true},
		{.key = 2, .type = NB_FIELD_UINT, .max = INT32_MAX},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *why;
	char host[NI_MAXHOST + 1] = {0};
	char serv[NB_MAXSERV + 1] = {0};

	if (nb_req_decode(req, fields, v, ARRAY_SIZE(fields)) != 0) {
		return;
	}
	if (nb_sockaddr_decode(&v[0], &ss, &sslen, &why) != 0) {
		(void)nb_reply_err(req, EINVAL, why, 1);
		return;
	}
	int gai = zsock_getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host) - 1, serv,
				    sizeof(serv) - 1, v[1].present ? (int)v[1].u : 0);

	if (gai != 0) {
		reply_gai(req, gai, "getnameinfo");
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_enc_tstr(&o.enc, 1, host) || !nb_enc_tstr(&o.enc, 2, serv)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}
NB_OP_DEFINE(getnameinfo, NB_OP_GETNAMEINFO, 0, handle_getnameinfo);
