/* Link-layer framing: see nb_frame.h. COBS and CRC are Zephyr's (CONFIG_COBS, sys/crc.h). */
#include "nb_frame.h"

#include <errno.h>
#include <zephyr/data/cobs.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

const char *nb_frame_err_name(enum nb_frame_err err)
{
	switch (err) {
	case NB_FRAME_OK:
		return "OK";
	case NB_FRAME_ERR_COBS:
		return "COBS";
	case NB_FRAME_ERR_SHORT:
		return "SHORT";
	case NB_FRAME_ERR_OVERSIZE:
		return "OVERSIZE";
	case NB_FRAME_ERR_CRC:
		return "CRC";
	case NB_FRAME_ERR_VERSION:
		return "VERSION";
	case NB_FRAME_ERR_TYPE:
		return "TYPE";
	}
	return "?";
}

int nb_frame_encode(const struct nb_frame_hdr *hdr, const uint8_t *payload, size_t len,
		    struct net_buf *raw, struct net_buf *out)
{
	net_buf_reset(raw);
	net_buf_reset(out);
	if (net_buf_tailroom(raw) < NB_FRAME_MAX_LEN(len) ||
	    net_buf_tailroom(out) < NB_FRAME_MAX_WIRE(len)) {
		return -ENOMEM;
	}

	net_buf_add_u8(raw, (NB_LINK_VERSION << 4) | (hdr->type & 0x0f));
	net_buf_add_u8(raw, hdr->seq);
	net_buf_add_u8(raw, hdr->ack);
	net_buf_add_u8(raw, hdr->win);
	if (len > 0) {
		net_buf_add_mem(raw, payload, len);
	}
	net_buf_add_le32(raw, crc32_ieee(raw->data, raw->len));

	net_buf_add_u8(out, 0x00);
	int err = cobs_encode(raw, out, COBS_FLAG_TRAILING_DELIMITER);

	return err;
}

static bool type_allows_payload(uint8_t type, size_t len)
{
	switch (type) {
	case NB_FT_DATA: /* an empty or bad payload is the message layer's MALFORMED */
		return true;
	case NB_FT_ACK:
		return len == 0;
	case NB_FT_RST:
	case NB_FT_RST_ACK:
		return len == NB_RST_NONCE_LEN;
	default:
		return false;
	}
}

enum nb_frame_err nb_frame_decode(struct net_buf *run, struct net_buf *raw, size_t mtu,
				  struct nb_frame_hdr *hdr, size_t *payload_len)
{
	net_buf_reset(raw);
	/* Zephyr's decoder only asserts on room; a run never decodes to more bytes than it has. */
	if (net_buf_tailroom(raw) < run->len) {
		return NB_FRAME_ERR_OVERSIZE;
	}
	if (run->len == 0 || cobs_decode(run, raw, 0) != 0) {
		return NB_FRAME_ERR_COBS;
	}
	if (raw->len < NB_FRAME_MIN_LEN) {
		return NB_FRAME_ERR_SHORT;
	}
	if (raw->len > NB_FRAME_MAX_LEN(mtu)) {
		return NB_FRAME_ERR_OVERSIZE;
	}

	size_t body = raw->len - NB_FRAME_CRC_LEN;

	if (crc32_ieee(raw->data, body) != sys_get_le32(raw->data + body)) {
		return NB_FRAME_ERR_CRC;
	}
	if ((raw->data[0] >> 4) != NB_LINK_VERSION) {
		return NB_FRAME_ERR_VERSION;
	}

	hdr->type = raw->data[0] & 0x0f;
	hdr->seq = raw->data[1];
	hdr->ack = raw->data[2];
	hdr->win = raw->data[3];
	*payload_len = body - NB_FRAME_HDR_LEN;
	if (!type_allows_payload(hdr->type, *payload_len)) {
		return NB_FRAME_ERR_TYPE;
	}
	return NB_FRAME_OK;
}

void nb_splitter_init(struct nb_splitter *sp, struct net_buf *run, size_t max_run)
{
	sp->run = run;
	sp->discarded = 0;
	net_buf_reset(run);
	sp->max_run = MIN(max_run, net_buf_tailroom(run));
}

void nb_splitter_feed(struct nb_splitter *sp, const uint8_t *data, size_t len, nb_run_cb cb,
		      void *ctx)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = data[i];

		if (b == 0x00) {
			if (sp->discarded > 0) {
				cb(ctx, NULL, sp->discarded);
				sp->discarded = 0;
			} else if (sp->run->len > 0) {
				cb(ctx, sp->run, sp->run->len);
			}
			net_buf_reset(sp->run);
			continue;
		}
		if (sp->discarded > 0) {
			sp->discarded++;
		} else if (sp->run->len >= sp->max_run) {
			/* Longer than any legal frame: drop what we hold and the rest as it comes. */
			sp->discarded = sp->run->len + 1;
			net_buf_reset(sp->run);
		} else {
			net_buf_add_u8(sp->run, b);
		}
	}
}
