/* The CBOR message layer: see nb_msg.h. */
#include "nb_msg.h"

#include <errno.h>
#include <string.h>
#include <zcbor_decode.h>
#include <zcbor_encode.h>
#include <zephyr/sys/util.h>

/* Reserved header size of every container while it is encoded; canonical end shrinks it. */
#define NB_ENC_MAX_ITEMS 255

/* ---------------------------------------------------------------- decoding */

static bool skip_item(zcbor_state_t *zs, int depth);

/*
 * The body of a map whose keys are uints in strictly ascending order (canonical: no duplicates,
 * no disorder); depth counts the containers already open, the map included.
 */
static bool skip_map_entries(zcbor_state_t *zs, int depth)
{
	bool first = true;
	uint64_t prev = 0;

	while (!zcbor_array_at_end(zs)) {
		uint64_t key;

		if (!zcbor_uint64_decode(zs, &key) || (!first && key <= prev) ||
		    !skip_item(zs, depth)) {
			return false;
		}
		first = false;
		prev = key;
	}
	return true;
}

/*
 * Skips one item of the CDDL's CBOR subset: ints, strings, arrays, maps with ascending uint keys,
 * false/true/null. Tags, floats and other simple values are refused, and so is nesting deeper
 * than NB_MSG_MAX_DEPTH (the recursion stays bounded whatever the input).
 */
static bool skip_item(zcbor_state_t *zs, int depth)
{
	if (zs->payload >= zs->payload_end) {
		return false;
	}
	uint8_t first = *zs->payload;

	switch (ZCBOR_MAJOR_TYPE(first)) {
	case ZCBOR_MAJOR_TYPE_LIST:
		if (depth >= NB_MSG_MAX_DEPTH || !zcbor_list_start_decode(zs)) {
			return false;
		}
		while (!zcbor_array_at_end(zs)) {
			if (!skip_item(zs, depth + 1)) {
				return false;
			}
		}
		return zcbor_list_end_decode(zs);
	case ZCBOR_MAJOR_TYPE_MAP:
		if (depth >= NB_MSG_MAX_DEPTH || !zcbor_map_start_decode(zs)) {
			return false;
		}
		return skip_map_entries(zs, depth + 1) && zcbor_map_end_decode(zs);
	case ZCBOR_MAJOR_TYPE_TAG:
		return false;
	case ZCBOR_MAJOR_TYPE_SIMPLE:
		if (first != 0xf4 && first != 0xf5 && first != 0xf6) {
			return false; /* floats, undefined, other simple values */
		}
		return zcbor_any_skip(zs, NULL);
	default:
		return zcbor_any_skip(zs, NULL);
	}
}

/* The message body: a map; depth counts the containers already open. */
static bool check_body_map(zcbor_state_t *zs, int depth)
{
	if (zs->payload >= zs->payload_end || ZCBOR_MAJOR_TYPE(*zs->payload) != ZCBOR_MAJOR_TYPE_MAP ||
	    !zcbor_map_start_decode(zs)) {
		return false;
	}
	return skip_map_entries(zs, depth + 1) && zcbor_map_end_decode(zs);
}

int nb_msg_decode(const uint8_t *payload, size_t len, struct nb_msg *out)
{
	ZCBOR_STATE_D(zs, NB_MSG_MAX_DEPTH, payload, len, 1, 0);
	uint32_t kind;

	if (len == 0 || ZCBOR_MAJOR_TYPE(payload[0]) != ZCBOR_MAJOR_TYPE_LIST ||
	    !zcbor_list_start_decode(zs) || !zcbor_uint32_decode(zs, &kind) ||
	    !zcbor_uint32_decode(zs, &out->op) || !zcbor_uint32_decode(zs, &out->id)) {
		return -EBADMSG;
	}
	if (kind > NB_KIND_NTF) {
		return -EBADMSG;
	}
	out->kind = (uint8_t)kind;
	out->body = zs->payload;
	if (!check_body_map(zs, 1)) {
		return -EBADMSG;
	}
	out->body_len = (size_t)(zs->payload - out->body);
	if (!zcbor_array_at_end(zs) || !zcbor_list_end_decode(zs) || zs->payload != payload + len) {
		return -EBADMSG; /* more than four items, or bytes after the message */
	}
	return 0;
}

static bool decode_value(zcbor_state_t *zs, const struct nb_field *f, struct nb_value *v,
			 const char **why)
{
	struct zcbor_string s;

	*why = "wrong type";
	switch (f->type) {
	case NB_FIELD_UINT:
		if (!zcbor_uint64_decode(zs, &v->u)) {
			return false;
		}
		if ((f->max != 0 && v->u > f->max) || v->u < f->min) {
			*why = "out of range";
			return false;
		}
		return true;
	case NB_FIELD_INT:
		return zcbor_int64_decode(zs, &v->i);
	case NB_FIELD_BOOL:
		return zcbor_bool_decode(zs, &v->b);
	case NB_FIELD_BSTR:
	case NB_FIELD_TSTR:
		if (!(f->type == NB_FIELD_BSTR ? zcbor_bstr_decode(zs, &s)
					       : zcbor_tstr_decode(zs, &s))) {
			return false;
		}
		if ((f->max != 0 && s.len > f->max) || s.len < f->min) {
			*why = "wrong length";
			return false;
		}
		v->s.ptr = s.value;
		v->s.len = s.len;
		return true;
	case NB_FIELD_ANY:
		v->s.ptr = zs->payload;
		if (!skip_item(zs, 2)) {
			*why = "malformed";
			return false;
		}
		v->s.len = (size_t)(zs->payload - v->s.ptr);
		return true;
	}
	return false;
}

int nb_body_decode(const uint8_t *body, size_t len, const struct nb_field *fields,
		   struct nb_value *vals, size_t n, struct nb_body_error *err)
{
	ZCBOR_STATE_D(zs, NB_MSG_MAX_DEPTH, body, len, 1, 0);

	memset(vals, 0, n * sizeof(vals[0]));
	err->key = 0;
	err->why = "not a map";
	if (len == 0 || ZCBOR_MAJOR_TYPE(body[0]) != ZCBOR_MAJOR_TYPE_MAP ||
	    !zcbor_map_start_decode(zs)) {
		return -EINVAL;
	}
	while (!zcbor_array_at_end(zs)) {
		uint32_t key;
		size_t i;

		if (!zcbor_uint32_decode(zs, &key)) {
			err->why = "key is not a uint";
			return -EINVAL;
		}
		for (i = 0; i < n && fields[i].key != key; i++) {
		}
		if (i == n) {
			if (!skip_item(zs, 2)) { /* an unknown key: ignored (forward compatibility) */
				err->key = key;
				err->why = "malformed";
				return -EINVAL;
			}
			continue;
		}
		err->key = key;
		if (vals[i].present) {
			err->why = "duplicate key";
			return -EINVAL;
		}
		if (!decode_value(zs, &fields[i], &vals[i], &err->why)) {
			return -EINVAL;
		}
		vals[i].present = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (fields[i].required && !vals[i].present) {
			err->key = fields[i].key;
			err->why = "missing";
			return -EINVAL;
		}
	}
	err->key = 0;
	err->why = NULL;
	return 0;
}

int nb_msg_decode_hello_req(const uint8_t *body, size_t len, struct nb_hello_req *out,
			    struct nb_body_error *err)
{
	static const struct nb_field fields[] = {
		{.key = 1, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
		{.key = 2, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
		{.key = 3, .type = NB_FIELD_BSTR, .required = true, .min = 8, .max = 8},
		{.key = 4, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
		{.key = 5, .type = NB_FIELD_UINT, .required = true, .max = UINT32_MAX},
		{.key = 6, .type = NB_FIELD_UINT},
	};
	struct nb_value v[ARRAY_SIZE(fields)];
	int rc = nb_body_decode(body, len, fields, v, ARRAY_SIZE(fields), err);

	if (rc != 0) {
		return rc;
	}
	out->min_version = (uint32_t)v[0].u;
	out->max_version = (uint32_t)v[1].u;
	memcpy(out->schema_hash, v[2].s.ptr, sizeof(out->schema_hash));
	out->mtu = (uint32_t)v[3].u;
	out->window = (uint32_t)v[4].u;
	out->features = v[5].present ? v[5].u : 0;
	return 0;
}

static int decode_bytes_req(const uint8_t *body, size_t len, bool required,
			    struct nb_bytes_req *out, struct nb_body_error *err)
{
	const struct nb_field fields[] = {{.key = 1, .type = NB_FIELD_BSTR, .required = required}};
	struct nb_value v[1];
	int rc = nb_body_decode(body, len, fields, v, 1, err);

	if (rc != 0) {
		return rc;
	}
	out->present = v[0].present;
	out->ptr = v[0].present ? v[0].s.ptr : NULL;
	out->len = v[0].present ? v[0].s.len : 0;
	return 0;
}

int nb_msg_decode_ping_req(const uint8_t *body, size_t len, struct nb_bytes_req *out,
			   struct nb_body_error *err)
{
	return decode_bytes_req(body, len, false, out, err);
}

int nb_msg_decode_sink_req(const uint8_t *body, size_t len, struct nb_bytes_req *out,
			   struct nb_body_error *err)
{
	return decode_bytes_req(body, len, true, out, err);
}

/* ---------------------------------------------------------------- encoding */

bool nb_enc_begin(struct nb_enc *e, uint8_t *buf, size_t cap, uint8_t kind, uint32_t op,
		  uint32_t id)
{
	e->buf = buf;
	zcbor_new_encode_state(e->zs, ARRAY_SIZE(e->zs), buf, cap, 1);
	return zcbor_list_start_encode(e->zs, NB_ENC_MAX_ITEMS) && zcbor_uint32_put(e->zs, kind) &&
	       zcbor_uint32_put(e->zs, op) && zcbor_uint32_put(e->zs, id) &&
	       zcbor_map_start_encode(e->zs, NB_ENC_MAX_ITEMS);
}

bool nb_enc_end(struct nb_enc *e, size_t *len)
{
	if (!zcbor_map_end_encode(e->zs, NB_ENC_MAX_ITEMS) ||
	    !zcbor_list_end_encode(e->zs, NB_ENC_MAX_ITEMS)) {
		return false;
	}
	*len = (size_t)(e->zs->payload - e->buf);
	return true;
}

bool nb_enc_uint(struct nb_enc *e, uint32_t key, uint64_t v)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_uint64_put(e->zs, v);
}

bool nb_enc_int(struct nb_enc *e, uint32_t key, int64_t v)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_int64_put(e->zs, v);
}

bool nb_enc_bstr(struct nb_enc *e, uint32_t key, const void *p, size_t len)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_bstr_encode_ptr(e->zs, p, len);
}

bool nb_enc_tstr(struct nb_enc *e, uint32_t key, const char *s)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_tstr_encode_ptr(e->zs, s, strlen(s));
}

bool nb_enc_bool(struct nb_enc *e, uint32_t key, bool v)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_bool_put(e->zs, v);
}

bool nb_enc_map_start(struct nb_enc *e, uint32_t key)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_map_start_encode(e->zs, NB_ENC_MAX_ITEMS);
}

bool nb_enc_map_end(struct nb_enc *e)
{
	return zcbor_map_end_encode(e->zs, NB_ENC_MAX_ITEMS);
}

bool nb_enc_list_start(struct nb_enc *e, uint32_t key)
{
	return zcbor_uint32_put(e->zs, key) && zcbor_list_start_encode(e->zs, NB_ENC_MAX_ITEMS);
}

bool nb_enc_list_end(struct nb_enc *e)
{
	return zcbor_list_end_encode(e->zs, NB_ENC_MAX_ITEMS);
}

/* ---------------------------------------------------------------- errno names */

struct errno_name {
	int num;    /* this build's value */
	int zephyr; /* Zephyr's value, the one on the wire */
	const char *name;
};

/*
 * Zephyr's numbers are written out: a firmware built on another libc (native_sim on the host's)
 * has other values for the same names, and the wire always carries Zephyr's (PROTOCOL.md §2.2).
 */
#define E(x, z) {x, z, #x}
static const struct errno_name errno_names[] = {
	E(EPERM, 1), E(ENOENT, 2), E(ESRCH, 3), E(EINTR, 4), E(EIO, 5), E(ENXIO, 6), E(E2BIG, 7),
	E(ENOEXEC, 8), E(EBADF, 9), E(ECHILD, 10), E(EAGAIN, 11), E(ENOMEM, 12), E(EACCES, 13),
	E(EFAULT, 14), E(EBUSY, 16), E(EEXIST, 17), E(EXDEV, 18), E(ENODEV, 19), E(ENOTDIR, 20),
	E(EISDIR, 21), E(EINVAL, 22), E(ENFILE, 23), E(EMFILE, 24), E(ENOTTY, 25), E(EFBIG, 27),
	E(ENOSPC, 28), E(ESPIPE, 29), E(EROFS, 30), E(EMLINK, 31), E(EPIPE, 32), E(EDOM, 33),
	E(ERANGE, 34), E(ENOMSG, 35), E(EDEADLK, 45), E(ENOLCK, 46), E(ENODATA, 61), E(ETIME, 62),
	E(EPROTO, 71), E(EBADMSG, 77), E(ENOSYS, 88), E(ENOTEMPTY, 90), E(ENAMETOOLONG, 91), E(ELOOP, 92),
	E(EOPNOTSUPP, 95), E(ECONNRESET, 104), E(ENOBUFS, 105), E(EAFNOSUPPORT, 106), E(EPROTOTYPE, 107),
	E(ENOTSOCK, 108), E(ENOPROTOOPT, 109), E(ESHUTDOWN, 110), E(ECONNREFUSED, 111),
	E(EADDRINUSE, 112), E(ECONNABORTED, 113), E(ENETUNREACH, 114), E(ENETDOWN, 115),
	E(ETIMEDOUT, 116), E(EHOSTDOWN, 117), E(EHOSTUNREACH, 118), E(EINPROGRESS, 119), E(EALREADY, 120),
	E(EDESTADDRREQ, 121), E(EMSGSIZE, 122), E(EPROTONOSUPPORT, 123), E(EADDRNOTAVAIL, 125),
	E(ENETRESET, 126), E(EISCONN, 127), E(ENOTCONN, 128), E(ENOTSUP, 134), E(EILSEQ, 138),
	E(EOVERFLOW, 139), E(ECANCELED, 140),
};
#undef E

const char *nb_errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (errno_names[i].num == err) {
			return errno_names[i].name;
		}
	}
	return "E?";
}

int nb_errno_wire(int err)
{
	int sign = err < 0 ? -1 : 1;

	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (errno_names[i].num == err * sign) {
			return errno_names[i].zephyr * sign;
		}
	}
	return err;
}

/* ---------------------------------------------------------------- board messages */

int nb_msg_encode_err_body(uint8_t *buf, size_t cap, uint32_t op, uint32_t id,
			   const struct nb_err *err, size_t *len)
{
	struct nb_enc e;
	bool ok = nb_enc_begin(&e, buf, cap, NB_KIND_ERR, op, id) &&
		  nb_enc_int(&e, 1, nb_errno_wire(err->errnum)) &&
		  nb_enc_tstr(&e, 2, err->name != NULL ? err->name : nb_errno_name(err->errnum));

	/* An extack that does not fit is cut rather than losing the error itself. */
	if (ok && err->extack != NULL) {
		size_t room = cap - (size_t)(e.zs->payload - buf);
		/* key 3 + its header, keys 4 and 5 with values, the canonical shrink of two headers */
		size_t tail = 1 + 3 + 1 + 5 + 1 + 5 + 2;
		size_t n = strlen(err->extack);

		n = room > tail ? MIN(n, room - tail) : 0;
		ok = zcbor_uint32_put(e.zs, 3) && zcbor_tstr_encode_ptr(e.zs, err->extack, n);
	}
	if (ok && err->field != 0) {
		ok = nb_enc_uint(&e, 4, err->field);
	}
	if (ok && err->has_gai) {
		ok = nb_enc_int(&e, 5, err->gai);
	}
	return ok && nb_enc_end(&e, len) ? 0 : -ENOMEM;
}

int nb_msg_encode_err(uint8_t *buf, size_t cap, uint32_t op, uint32_t id, int err,
		      const char *extack, uint32_t field, size_t *len)
{
	const struct nb_err e = {.errnum = err, .extack = extack, .field = field};

	return nb_msg_encode_err_body(buf, cap, op, id, &e, len);
}

int nb_msg_encode_done(uint8_t *buf, size_t cap, uint32_t op, uint32_t id, uint32_t count,
		       bool interrupted, size_t *len)
{
	struct nb_enc e;

	return nb_enc_begin(&e, buf, cap, NB_KIND_DONE, op, id) && nb_enc_uint(&e, 1, count) &&
			       nb_enc_bool(&e, 2, interrupted) && nb_enc_end(&e, len)
		       ? 0
		       : -ENOMEM;
}

int nb_msg_encode_overrun(uint8_t *buf, size_t cap, uint32_t seq, uint32_t what, uint32_t count,
			  uint32_t total, size_t *len)
{
	struct nb_enc e;

	return nb_enc_begin(&e, buf, cap, NB_KIND_NTF, NB_OP_OVERRUN, seq) &&
			       nb_enc_uint(&e, 1, what) && nb_enc_uint(&e, 2, count) &&
			       nb_enc_uint(&e, 3, total) && nb_enc_end(&e, len)
		       ? 0
		       : -ENOMEM;
}

int nb_msg_encode_hello_rsp(uint8_t *buf, size_t cap, uint32_t id,
			    const struct nb_hello_info *info, size_t *len)
{
	struct nb_enc e;
	const struct nb_limits *l = &info->limits;
	bool ok = nb_enc_begin(&e, buf, cap, NB_KIND_RSP, NB_OP_HELLO, id) &&
		  nb_enc_uint(&e, 1, info->version) &&
		  nb_enc_bstr(&e, 2, info->schema_hash, sizeof(info->schema_hash)) &&
		  nb_enc_uint(&e, 3, info->mtu) && nb_enc_uint(&e, 4, info->window) &&
		  nb_enc_uint(&e, 5, info->features) && nb_enc_tstr(&e, 6, info->board) &&
		  nb_enc_tstr(&e, 7, info->zephyr_version) && nb_enc_tstr(&e, 8, info->fw_version) &&
		  nb_enc_bstr(&e, 9, info->boot_id, sizeof(info->boot_id)) &&
		  nb_enc_map_start(&e, 10) && nb_enc_uint(&e, 1, l->max_sockets) &&
		  nb_enc_uint(&e, 2, l->max_subscriptions) && nb_enc_uint(&e, 3, l->event_queue_len) &&
		  nb_enc_uint(&e, 4, l->tx_queue_len) && nb_enc_uint(&e, 5, l->rx_buffer) &&
		  (l->max_data == 0 || nb_enc_uint(&e, 6, l->max_data)) && nb_enc_map_end(&e) &&
		  nb_enc_uint(&e, 11, info->uptime_ms) && nb_enc_end(&e, len);

	return ok ? 0 : -ENOMEM;
}

int nb_msg_encode_ping_rsp(uint8_t *buf, size_t cap, uint32_t id, const uint8_t *echo,
			   size_t echo_len, size_t *len)
{
	struct nb_enc e;
	bool ok = nb_enc_begin(&e, buf, cap, NB_KIND_RSP, NB_OP_PING, id) &&
		  (echo == NULL || nb_enc_bstr(&e, 1, echo, echo_len)) && nb_enc_end(&e, len);

	return ok ? 0 : -ENOMEM;
}

int nb_msg_encode_sink_rsp(uint8_t *buf, size_t cap, uint32_t id, uint64_t count, size_t *len)
{
	struct nb_enc e;

	return nb_enc_begin(&e, buf, cap, NB_KIND_RSP, NB_OP_SINK, id) &&
			       nb_enc_uint(&e, 1, count) && nb_enc_end(&e, len)
		       ? 0
		       : -ENOMEM;
}

int nb_msg_encode_stats_rsp(uint8_t *buf, size_t cap, uint32_t id,
			    const struct nb_counter_value *c, size_t n, size_t *len)
{
	struct nb_enc e;
	bool ok = nb_enc_begin(&e, buf, cap, NB_KIND_RSP, NB_OP_STATS, id);

	for (size_t i = 0; ok && i < n; i++) {
		ok = nb_enc_uint(&e, c[i].key, c[i].value);
	}
	return ok && nb_enc_end(&e, len) ? 0 : -ENOMEM;
}
