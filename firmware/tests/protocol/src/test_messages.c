/* The message decoder and encoders beyond the vectors: bounds, nesting, field errors. */
#include <string.h>
#include <zephyr/ztest.h>

#include "nb_msg.h"

ZTEST(messages, test_deep_nesting_is_refused_not_recursed)
{
	/* [0, 2, 1, {1: [[[[[[...]]]]]]}] nested 500 deep: must fail cleanly (bounded recursion). */
	static uint8_t p[600];
	size_t n = 0;
	struct nb_msg msg;

	p[n++] = 0x84;
	p[n++] = 0x00;
	p[n++] = 0x02;
	p[n++] = 0x01;
	p[n++] = 0xa1;
	p[n++] = 0x01;
	for (int i = 0; i < 500; i++) {
		p[n++] = 0x81;
	}
	p[n++] = 0x00;
	zassert_equal(nb_msg_decode(p, n, &msg), -EBADMSG);
}

ZTEST(messages, test_allowed_nesting_passes)
{
	/* poll-req: [0, 0x2a, 7, {1: [[3, 1], [6, 1]], 2: 100}] */
	static const uint8_t p[] = {0x84, 0x00, 0x18, 0x2a, 0x07, 0xa2, 0x01, 0x82, 0x82, 0x03,
				    0x01, 0x82, 0x06, 0x01, 0x02, 0x18, 0x64};
	struct nb_msg msg;

	zassert_ok(nb_msg_decode(p, sizeof(p), &msg));
	zassert_equal(msg.op, 0x2a);
	zassert_equal(msg.id, 7);
}

ZTEST(messages, test_every_truncation_is_refused)
{
	/* hello-req with every possible length cut off. */
	static const uint8_t p[] = {0x84, 0x00, 0x01, 0x00, 0xa5, 0x01, 0x01, 0x02, 0x01, 0x03,
				    0x48, 1, 2, 3, 4, 5, 6, 7, 8, 0x04, 0x19, 0x04, 0x00,
				    0x05, 0x04};
	struct nb_msg msg;

	zassert_ok(nb_msg_decode(p, sizeof(p), &msg));
	for (size_t n = 0; n < sizeof(p); n++) {
		zassert_equal(nb_msg_decode(p, n, &msg), -EBADMSG, "cut at %zu", n);
	}
}

ZTEST(messages, test_body_errors_name_the_field)
{
	/* HELLO body with key 3 a 7-byte bstr, then one missing key 5. */
	static const uint8_t bad_len[] = {0xa5, 0x01, 0x01, 0x02, 0x01, 0x03, 0x47, 1, 2, 3, 4,
					  5, 6, 7, 0x04, 0x19, 0x04, 0x00, 0x05, 0x04};
	static const uint8_t missing[] = {0xa4, 0x01, 0x01, 0x02, 0x01, 0x03, 0x48, 1, 2, 3, 4, 5,
					  6, 7, 8, 0x04, 0x19, 0x04, 0x00};
	static const uint8_t wrong_type[] = {0xa1, 0x01, 0x61, 'x'};
	struct nb_hello_req h;
	struct nb_bytes_req b;
	struct nb_body_error e;

	zassert_equal(nb_msg_decode_hello_req(bad_len, sizeof(bad_len), &h, &e), -EINVAL);
	zassert_equal(e.key, 3);
	zassert_str_equal(e.why, "wrong length");
	zassert_equal(nb_msg_decode_hello_req(missing, sizeof(missing), &h, &e), -EINVAL);
	zassert_equal(e.key, 5);
	zassert_str_equal(e.why, "missing");
	zassert_equal(nb_msg_decode_ping_req(wrong_type, sizeof(wrong_type), &b, &e), -EINVAL);
	zassert_equal(e.key, 1);
	zassert_str_equal(e.why, "wrong type");
}

ZTEST(messages, test_unknown_keys_are_ignored)
{
	/* PING {1: h'01', 9: "future"} */
	static const uint8_t body[] = {0xa2, 0x01, 0x41, 0x01, 0x09, 0x66, 'f', 'u', 't', 'u', 'r',
				       'e'};
	struct nb_bytes_req b;
	struct nb_body_error e;

	zassert_ok(nb_msg_decode_ping_req(body, sizeof(body), &b, &e));
	zassert_true(b.present);
	zassert_equal(b.len, 1);
}

ZTEST(messages, test_err_extack_is_cut_to_fit_not_dropped)
{
	static char longtext[400];
	static uint8_t buf[64];
	size_t len;
	struct nb_msg msg;

	memset(longtext, 'a', sizeof(longtext) - 1);
	zassert_ok(nb_msg_encode_err(buf, sizeof(buf), 0x20, 5, EINVAL, longtext, 2, &len));
	zassert_true(len <= sizeof(buf));
	zassert_ok(nb_msg_decode(buf, len, &msg));
	zassert_equal(msg.kind, NB_KIND_ERR);
	zassert_equal(msg.id, 5);
}

ZTEST(messages, test_encoder_reports_a_full_buffer)
{
	static uint8_t buf[16];
	static uint8_t echo[64];
	size_t len;

	zassert_equal(nb_msg_encode_ping_rsp(buf, sizeof(buf), 1, echo, sizeof(echo), &len),
		      -ENOMEM);
}

ZTEST(messages, test_errno_names)
{
	zassert_str_equal(nb_errno_name(EINVAL), "EINVAL");
	zassert_str_equal(nb_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	zassert_str_equal(nb_errno_name(EBUSY), "EBUSY");
	zassert_str_equal(nb_errno_name(-12345), "E?");
}

ZTEST_SUITE(messages, NULL, NULL, NULL, NULL, NULL);
