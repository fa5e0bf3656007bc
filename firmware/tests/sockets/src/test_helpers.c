/* Request and answer helpers of the socket tests. */
#include <string.h>
#include <zephyr/ztest.h>

#include "recording_core.h"

static uint32_t next_id = 1;

void treq_begin(struct treq *t, uint8_t op)
{
	memset(&t->req, 0, sizeof(t->req));
	t->op = op;
	zassert_true(nb_enc_begin(&t->enc, t->req.data, sizeof(t->req.data), NB_KIND_REQ, op,
				  next_id++));
}

static void decode(struct tmsg *m)
{
	zassert_ok(nb_msg_decode(m->raw.data, m->raw.len, &m->msg), "recorded message malformed");
}

void treq_run(struct treq *t, struct tmsg *answer)
{
	size_t len;
	const struct nb_op_desc *op = NULL;

	zassert_true(nb_enc_end(&t->enc, &len), "request does not fit");
	zassert_ok(nb_msg_decode(t->req.data, len, &t->req.msg));
	t->req.len = (uint16_t)len;
	STRUCT_SECTION_FOREACH(nb_op_desc, d) {
		if (d->op == t->op) {
			op = d;
		}
	}
	zassert_not_null(op, "op 0x%02x has no handler", t->op);
	op->handler(&t->req);
	zassert_true(t->req.answered, "handler did not answer");
	zassert_ok(rec_answer(&answer->raw), "no answer recorded");
	decode(answer);
	zassert_equal(answer->msg.op, t->op);
	zassert_equal(answer->msg.id, t->req.msg.id);
	struct rec_msg extra;

	zassert_not_equal(rec_answer(&extra), 0, "more than one answer");
}

bool next_ntf(struct tmsg *out, k_timeout_t wait)
{
	if (rec_notification(&out->raw, wait) != 0) {
		return false;
	}
	decode(out);
	zassert_equal(out->msg.kind, NB_KIND_NTF);
	return true;
}

void body_get(const struct tmsg *m, const struct nb_field *fields, struct nb_value *v, size_t n)
{
	struct nb_body_error e = {0};

	zassert_ok(nb_body_decode(m->msg.body, m->msg.body_len, fields, v, n, &e),
		   "body: key %u %s", e.key, e.why);
}

void err_get(const struct tmsg *m, int *errnum, char *name, size_t cap, uint32_t *field)
{
	static const struct nb_field f[] = {
		{.key = 1, .type = NB_FIELD_INT, .required = true},
		{.key = 2, .type = NB_FIELD_TSTR, .required = true},
		{.key = 4, .type = NB_FIELD_UINT},
	};
	struct nb_value v[3];

	zassert_equal(m->msg.kind, NB_KIND_ERR, "expected ERR, got kind %u", m->msg.kind);
	body_get(m, f, v, 3);
	snprintk(name, cap, "%.*s", (int)v[1].s.len, (const char *)v[1].s.ptr);
	*field = v[2].present ? (uint32_t)v[2].u : 0;
	/* The wire carries Zephyr's number for the name; the tests compare this build's constants. */
	*errnum = 0;
	for (int local = 1; local < 512 && *errnum == 0; local++) {
		if (nb_errno_wire(local) == (int)v[0].i && strcmp(nb_errno_name(local), name) == 0) {
			*errnum = local;
		}
	}
	zassert_true(*errnum != 0, "ERR %d %s: not Zephyr's number for that name", (int)v[0].i, name);
}
