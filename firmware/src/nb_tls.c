/*
 * TLS credential ops (TLS_CRED_ADD / GET / DEL by sec tag). Zephyr's credential store keeps a
 * pointer to the bytes, so the bridge owns them: a bounded heap (CONFIG_NETBRIDGE_TLS_CRED_POOL_SIZE)
 * and a bounded list of entries. A board built without TLS answers every op with EOPNOTSUPP.
 * Wire types 1 CA cert, 2 server (public) cert, 3 private key, 4 PSK, 5 PSK id are Zephyr's enum
 * tls_credential_type values.
 */
#include <errno.h>
#include <string.h>
#include <zephyr/kernel.h>

#include "nb_sockets.h"

#ifdef CONFIG_NETBRIDGE_TLS
#include <zephyr/net/tls_credentials.h>

struct cred {
	bool used;
	sec_tag_t tag;
	enum tls_credential_type type;
	void *data;
};

static struct cred creds[CONFIG_NETBRIDGE_TLS_CRED_MAX];
static K_MUTEX_DEFINE(cred_lock);
K_HEAP_DEFINE(cred_heap, CONFIG_NETBRIDGE_TLS_CRED_POOL_SIZE);

static const struct nb_field cred_fields[] = {
	{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = INT32_MAX},
	{.key = 2, .type = NB_FIELD_UINT, .required = true, .min = 1, .max = 5},
	{.key = 3, .type = NB_FIELD_BSTR, .min = 1},
};

static struct cred *find_cred(sec_tag_t tag, enum tls_credential_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(creds); i++) {
		if (creds[i].used && creds[i].tag == tag && creds[i].type == type) {
			return &creds[i];
		}
	}
	return NULL;
}

static void handle_cred_add(struct nb_req *req)
{
	struct nb_value v[ARRAY_SIZE(cred_fields)];

	if (nb_req_decode(req, cred_fields, v, ARRAY_SIZE(v)) != 0) {
		return;
	}
	if (!v[2].present) {
		(void)nb_reply_err(req, EINVAL, "key 3: missing", 3);
		return;
	}
	sec_tag_t tag = (sec_tag_t)v[0].u;
	enum tls_credential_type type = (enum tls_credential_type)v[1].u;
	struct cred *slot = NULL;
	int err = 0;
	const char *why = NULL;

	k_mutex_lock(&cred_lock, K_FOREVER);
	if (find_cred(tag, type) != NULL) {
		err = EEXIST;
		why = "credential of this tag and type exists: delete it first";
	}
	for (size_t i = 0; err == 0 && slot == NULL && i < ARRAY_SIZE(creds); i++) {
		slot = creds[i].used ? NULL : &creds[i];
	}
	if (err == 0 && slot == NULL) {
		err = ENOMEM;
		why = "credential table full (CONFIG_NETBRIDGE_TLS_CRED_MAX)";
	}
	void *data = err == 0 ? k_heap_alloc(&cred_heap, v[2].s.len, K_NO_WAIT) : NULL;

	if (err == 0 && data == NULL) {
		err = ENOMEM;
		why = "credential pool full (CONFIG_NETBRIDGE_TLS_CRED_POOL_SIZE)";
	}
	if (err == 0) {
		memcpy(data, v[2].s.ptr, v[2].s.len);
		int rc = tls_credential_add(tag, type, data, v[2].s.len);

		if (rc != 0) {
			k_heap_free(&cred_heap, data);
			err = -rc;
			why = "tls_credential_add";
		} else {
			*slot = (struct cred){.used = true, .tag = tag, .type = type, .data = data};
		}
	}
	k_mutex_unlock(&cred_lock);
	if (err != 0) {
		(void)nb_reply_err(req, err, why, 0);
		return;
	}
	(void)nb_reply_empty(req);
}

static void handle_cred_get(struct nb_req *req)
{
	struct nb_value v[ARRAY_SIZE(cred_fields)];

	if (nb_req_decode(req, cred_fields, v, ARRAY_SIZE(v)) != 0) {
		return;
	}
	/* The request is decoded: its buffer takes the credential. */
	size_t len = MIN(nb_sock_data_limit(), sizeof(req->data));
	int rc = tls_credential_get((sec_tag_t)v[0].u, (enum tls_credential_type)v[1].u, req->data,
				    &len);

	if (rc != 0) {
		(void)nb_reply_err(req, -rc,
				   rc == -EFBIG ? "credential larger than one answer" : "tls_credential_get",
				   0);
		return;
	}

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	if (!nb_enc_bstr(&o.enc, 1, req->data, len)) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "answer does not fit", 0);
		return;
	}
	(void)nb_out_send(&o);
}

static void handle_cred_del(struct nb_req *req)
{
	struct nb_value v[ARRAY_SIZE(cred_fields)];

	if (nb_req_decode(req, cred_fields, v, ARRAY_SIZE(v)) != 0) {
		return;
	}
	sec_tag_t tag = (sec_tag_t)v[0].u;
	enum tls_credential_type type = (enum tls_credential_type)v[1].u;

	k_mutex_lock(&cred_lock, K_FOREVER);
	int rc = tls_credential_delete(tag, type);
	struct cred *c = find_cred(tag, type);

	if (rc == 0 && c != NULL) {
		k_heap_free(&cred_heap, c->data);
		c->used = false;
	}
	k_mutex_unlock(&cred_lock);
	if (rc != 0) {
		(void)nb_reply_err(req, -rc, "tls_credential_delete", 0);
		return;
	}
	(void)nb_reply_empty(req);
}

#else /* !CONFIG_NETBRIDGE_TLS */

static void handle_no_tls(struct nb_req *req)
{
	(void)nb_reply_err(req, EOPNOTSUPP, "board built without TLS (F_TLS clear)", 0);
}
#define handle_cred_add handle_no_tls
#define handle_cred_get handle_no_tls
#define handle_cred_del handle_no_tls

#endif

NB_OP_DEFINE(tls_cred_add, NB_OP_TLS_CRED_ADD, 0, handle_cred_add);
NB_OP_DEFINE(tls_cred_get, NB_OP_TLS_CRED_GET, 0, handle_cred_get);
NB_OP_DEFINE(tls_cred_del, NB_OP_TLS_CRED_DEL, 0, handle_cred_del);
