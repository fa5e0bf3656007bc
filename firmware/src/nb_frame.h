/*
 * Link-layer framing (PROTOCOL.md §1.1-1.2): header + payload + CRC-32, COBS-encoded between two
 * 0x00 delimiters, and the streaming splitter that cuts the line into delimiter-separated runs.
 * Pure functions over net_bufs; no threads, no UART.
 */
#ifndef NB_FRAME_H_
#define NB_FRAME_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zephyr/net_buf.h>

#define NB_LINK_VERSION   1
#define NB_FRAME_HDR_LEN  4
#define NB_FRAME_CRC_LEN  4
#define NB_FRAME_MIN_LEN  (NB_FRAME_HDR_LEN + NB_FRAME_CRC_LEN)
#define NB_RST_NONCE_LEN  4

/* Largest decoded frame for a payload limit. */
#define NB_FRAME_MAX_LEN(mtu) ((mtu) + NB_FRAME_MIN_LEN)
/* Largest COBS run (no delimiters) of a legal frame: one code byte per 254 bytes, plus one. */
#define NB_FRAME_MAX_RUN(mtu) (NB_FRAME_MAX_LEN(mtu) + NB_FRAME_MAX_LEN(mtu) / 254 + 1)
/* Largest frame on the line, both delimiters included. */
#define NB_FRAME_MAX_WIRE(mtu) (NB_FRAME_MAX_RUN(mtu) + 2)

enum nb_frame_type {
	NB_FT_DATA = 0x1,
	NB_FT_ACK = 0x2,
	NB_FT_RST = 0x3,
	NB_FT_RST_ACK = 0x4,
};

/* seq of an ACK that asks the sender to go back now (PROTOCOL.md §1.2); a plain ACK has seq 0. */
#define NB_ACK_GAP 1

/* Why a run is not a frame; names match the "error" field of proto/vectors/frames.json. */
enum nb_frame_err {
	NB_FRAME_OK = 0,
	NB_FRAME_ERR_COBS,     /* not valid COBS */
	NB_FRAME_ERR_SHORT,    /* decoded to fewer than NB_FRAME_MIN_LEN bytes */
	NB_FRAME_ERR_OVERSIZE, /* longer than the largest legal frame */
	NB_FRAME_ERR_CRC,      /* CRC mismatch */
	NB_FRAME_ERR_VERSION,  /* unknown link version */
	NB_FRAME_ERR_TYPE,     /* unknown frame type, or a payload the type does not allow */
};

const char *nb_frame_err_name(enum nb_frame_err err);

struct nb_frame_hdr {
	uint8_t type;
	uint8_t seq;
	uint8_t ack;
	uint8_t win;
};

/*
 * Encodes one frame as it goes on the line: 0x00, COBS(header | payload | crc), 0x00.
 * raw is scratch (reset here, needs NB_FRAME_MAX_LEN(len) room); out is reset and receives the
 * bytes (needs NB_FRAME_MAX_WIRE(len) room). Returns 0 or -ENOMEM.
 */
int nb_frame_encode(const struct nb_frame_hdr *hdr, const uint8_t *payload, size_t len,
		    struct net_buf *raw, struct net_buf *out);

/*
 * Decodes one run (the bytes between two delimiters; consumed). raw is reset and receives the
 * decoded frame; on NB_FRAME_OK the payload is raw->data + NB_FRAME_HDR_LEN, of *payload_len bytes.
 * raw needs as much room as the run is long. mtu bounds the payload.
 */
enum nb_frame_err nb_frame_decode(struct net_buf *run, struct net_buf *raw, size_t mtu,
				  struct nb_frame_hdr *hdr, size_t *payload_len);

/*
 * Streaming splitter: collects bytes up to each 0x00 into a bounded run buffer. A run that grows
 * beyond the buffer is discarded as it arrives and reported with run == NULL.
 */
typedef void (*nb_run_cb)(void *ctx, struct net_buf *run, size_t len);

struct nb_splitter {
	struct net_buf *run; /* collects the current run */
	size_t max_run;      /* the largest legal run (NB_FRAME_MAX_RUN(mtu)) */
	size_t discarded;    /* bytes of the run being discarded, 0 when collecting */
};

/* run needs max_run bytes of room. */
void nb_splitter_init(struct nb_splitter *sp, struct net_buf *run, size_t max_run);
void nb_splitter_feed(struct nb_splitter *sp, const uint8_t *data, size_t len, nb_run_cb cb,
		      void *ctx);

#endif /* NB_FRAME_H_ */
