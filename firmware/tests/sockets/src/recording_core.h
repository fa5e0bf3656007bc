/* The socket tests' stand-in for the bridge core, and helpers to run requests through handlers. */
#ifndef NB_TEST_RECORDING_CORE_H_
#define NB_TEST_RECORDING_CORE_H_

#include <zephyr/kernel.h>

#include "nb_internal.h"

struct rec_msg {
	size_t len;
	uint8_t data[CONFIG_NETBRIDGE_MTU + NB_ENC_SLACK];
};

/* Next recorded answer (RSP/ERR) or notification; 0 or -ENOMSG/-EAGAIN. */
int rec_answer(struct rec_msg *out);
int rec_notification(struct rec_msg *out, k_timeout_t wait);
/* Whether the pusher may send (nb_ntf_room): off simulates a stalled link. */
void rec_set_room(bool on);
void rec_reset(void);
int64_t rec_counter(enum nb_counter c);
uint32_t rec_overruns(void);

/* ---------------------------------------------------------------- request helpers */

/* A request being built: body keys go through nb_enc_* on t->enc. */
struct treq {
	struct nb_req req;
	struct nb_enc enc;
	uint8_t op;
};

/* A decoded answer or notification. */
struct tmsg {
	struct rec_msg raw;
	struct nb_msg msg;
};

void treq_begin(struct treq *t, uint8_t op);
/* Runs the op's handler (registered with NB_OP_DEFINE) and decodes its one answer. */
void treq_run(struct treq *t, struct tmsg *answer);
/* Next notification within wait; false when none came. */
bool next_ntf(struct tmsg *out, k_timeout_t wait);

/* Body values of a decoded message, by the fields given. */
void body_get(const struct tmsg *m, const struct nb_field *fields, struct nb_value *v, size_t n);
/* ERR body: errno, name (NUL-terminated copy), field (0 when absent). */
void err_get(const struct tmsg *m, int *errnum, char *name, size_t cap, uint32_t *field);

#endif
