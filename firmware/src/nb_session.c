/* Session ops (PROTOCOL.md §2.6, CDDL "session"): HELLO, PING, STATS, REBOOT, SINK. */
#include <string.h>
#include <version.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/random/random.h>
#include <zephyr/sys/reboot.h>
#include <zephyr/sys/util.h>

#include "nb_internal.h"
#ifdef CONFIG_NETBRIDGE_SOCKETS
#include "nb_sockets.h"
#endif

LOG_MODULE_DECLARE(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

#ifndef NETBRIDGE_SCHEMA_HASH_HEX
#error "NETBRIDGE_SCHEMA_HASH_HEX comes from the module's CMakeLists.txt"
#endif

/* How long REBOOT waits for its answer to be acknowledged before rebooting anyway. */
#define NB_REBOOT_FLUSH_MS 1000

static uint8_t boot_id[8];
static bool boot_id_set;
static K_MUTEX_DEFINE(boot_id_lock);

static uint8_t hex_nibble(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void schema_hash(uint8_t out[8])
{
	static const char hex[] = NETBRIDGE_SCHEMA_HASH_HEX;

	BUILD_ASSERT(sizeof(hex) == 17, "schema hash is 16 hex digits");
	for (int i = 0; i < 8; i++) {
		out[i] = (hex_nibble(hex[2 * i]) << 4) | hex_nibble(hex[2 * i + 1]);
	}
}

/*
 * Random per boot. Drawn at the first HELLO rather than at boot: emulated boards without an
 * entropy source get the same pseudo-random sequence every boot, but not the same arrival time of
 * the first HELLO, which is mixed in.
 */
static void get_boot_id(uint8_t out[8])
{
	k_mutex_lock(&boot_id_lock, K_FOREVER);
	if (!boot_id_set) {
		uint32_t t[2] = {k_cycle_get_32(), (uint32_t)k_uptime_get()};

		sys_rand_get(boot_id, sizeof(boot_id));
		for (size_t i = 0; i < sizeof(boot_id); i++) {
			boot_id[i] ^= ((const uint8_t *)t)[i];
		}
		boot_id_set = true;
	}
	memcpy(out, boot_id, sizeof(boot_id));
	k_mutex_unlock(&boot_id_lock);
}

static uint64_t feature_bits(void)
{
	uint64_t f = 0;

	f |= IS_ENABLED(CONFIG_NETBRIDGE_EVENTS) ? BIT64(NB_F_EVENTS) : 0;
	f |= IS_ENABLED(CONFIG_NETBRIDGE_SOCKETS) ? BIT64(NB_F_SOCKETS) : 0;
	f |= IS_ENABLED(CONFIG_NETBRIDGE_SOCKETS) && IS_ENABLED(CONFIG_NET_SOCKETS_SOCKOPT_TLS)
		     ? BIT64(NB_F_TLS)
		     : 0;
	f |= IS_ENABLED(CONFIG_NETBRIDGE_SOCKETS) && IS_ENABLED(CONFIG_DNS_RESOLVER)
		     ? BIT64(NB_F_DNS)
		     : 0;
	f |= IS_ENABLED(CONFIG_NET_IPV4) ? BIT64(NB_F_IPV4) : 0;
	f |= IS_ENABLED(CONFIG_NET_IPV6) ? BIT64(NB_F_IPV6) : 0;
	f |= IS_ENABLED(CONFIG_NET_DHCPV4) ? BIT64(NB_F_DHCPV4) : 0;
	f |= nb_shared_console() ? BIT64(NB_F_SHARED_CONSOLE) : 0;
	return f;
}

/* Decodes a request body with one of nb_msg's decoders; answers ERR EINVAL itself on failure. */
#define DECODE_OR_ANSWER(req, fn, out)                                                             \
	({                                                                                         \
		struct nb_body_error _e;                                                           \
		int _rc = fn((req)->msg.body, (req)->msg.body_len, (out), &_e);                    \
		if (_rc != 0) {                                                                    \
			(void)nb_reply_body_err((req), &_e);                                       \
		}                                                                                  \
		_rc;                                                                               \
	})

static void handle_hello(struct nb_req *req)
{
	struct nb_hello_req h;

	if (DECODE_OR_ANSWER(req, nb_msg_decode_hello_req, &h) != 0) {
		return;
	}
	if (h.min_version > NB_PROTOCOL_VERSION || h.max_version < NB_PROTOCOL_VERSION) {
		char why[64];

		snprintk(why, sizeof(why), "host speaks %u..%u, board speaks %u", h.min_version,
			 h.max_version, NB_PROTOCOL_VERSION);
		(void)nb_reply_err(req, EPROTONOSUPPORT, why, 1);
		return;
	}
	if (h.mtu < 64) {
		(void)nb_reply_err(req, EINVAL, "key 4: MTU below 64", 4);
		return;
	}
	nb_set_peer_limits(h.mtu, h.window);

	struct nb_hello_info info = {
		.version = NB_PROTOCOL_VERSION,
		.mtu = CONFIG_NETBRIDGE_MTU,
		.window = CONFIG_NETBRIDGE_RX_WINDOW,
		.features = feature_bits(),
		.board = CONFIG_BOARD_TARGET,
		.zephyr_version = KERNEL_VERSION_STRING,
		.fw_version = CONFIG_NETBRIDGE_FW_VERSION,
		.limits = {
			.max_sockets = CONFIG_NETBRIDGE_MAX_SOCKETS,
			.max_subscriptions = CONFIG_NETBRIDGE_MAX_SUBSCRIPTIONS,
			.event_queue_len = CONFIG_NETBRIDGE_EVENT_QUEUE_LEN,
			.tx_queue_len = CONFIG_NETBRIDGE_TX_QUEUE_LEN,
			.rx_buffer = CONFIG_NETBRIDGE_UART_RX_RING,
#ifdef CONFIG_NETBRIDGE_SOCKETS
			/* Socket payload per SEND / RECV / SOCK_DATA: what fits either way. */
			.max_data = MIN(nb_sock_data_limit(),
					CONFIG_NETBRIDGE_MTU - NB_SOCK_DATA_OVERHEAD),
#endif
		},
		.uptime_ms = (uint64_t)k_uptime_get(),
	};

	schema_hash(info.schema_hash);
	get_boot_id(info.boot_id);

	struct nb_out o;

	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	/* Reuse the tested encoder; its output replaces the open message. */
	size_t len;

	if (nb_msg_encode_hello_rsp(o.msg->data, o.msg->cap, req->msg.id, &info, &len) != 0) {
		nb_out_abort(&o);
		(void)nb_reply_err(req, ENOMEM, "HELLO answer does not fit", 0);
		return;
	}
	(void)nb_out_send_encoded(&o, len);
}
NB_OP_DEFINE(hello, NB_OP_HELLO, 0, handle_hello);

static void handle_ping(struct nb_req *req)
{
	struct nb_bytes_req echo;
	struct nb_out o;
	size_t len;

	if (DECODE_OR_ANSWER(req, nb_msg_decode_ping_req, &echo) != 0 ||
	    nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	int err = nb_msg_encode_ping_rsp(o.msg->data, o.msg->cap, req->msg.id, echo.ptr, echo.len,
					 &len);

	(void)nb_out_send_encoded(&o, err == 0 ? len : 0);
}
NB_OP_DEFINE(ping, NB_OP_PING, 0, handle_ping);

static void handle_stats(struct nb_req *req)
{
	uint64_t c[NB_CNT_COUNT + 1];
	struct nb_counter_value out[NB_CNT_COUNT];
	size_t n = 0;
	struct nb_out o;
	size_t len;

	nb_stats_collect(c);
#if defined(CONFIG_SYS_HEAP_RUNTIME_STATS) && (K_HEAP_MEM_POOL_SIZE > 0)
	extern struct k_heap _system_heap;
	struct sys_memory_stats heap;
	bool have_heap = sys_heap_runtime_stats_get(&_system_heap.heap, &heap) == 0;

	if (have_heap) {
		c[NB_CNT_HEAP_USED] = heap.allocated_bytes;
		c[NB_CNT_HEAP_FREE] = heap.free_bytes;
	}
#else
	const bool have_heap = false;
#endif
	for (uint32_t key = 1; key <= NB_CNT_COUNT; key++) {
		/* Heap figures only where the board keeps them; every other counter always. */
		if ((key == NB_CNT_HEAP_USED || key == NB_CNT_HEAP_FREE) && !have_heap) {
			continue;
		}
		out[n].key = key;
		out[n].value = c[key];
		n++;
	}
	if (nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	int err = nb_msg_encode_stats_rsp(o.msg->data, o.msg->cap, req->msg.id, out, n, &len);

	(void)nb_out_send_encoded(&o, err == 0 ? len : 0);
}
NB_OP_DEFINE(stats, NB_OP_STATS, 0, handle_stats);

static void handle_sink(struct nb_req *req)
{
	struct nb_bytes_req data;
	struct nb_out o;
	size_t len;

	if (DECODE_OR_ANSWER(req, nb_msg_decode_sink_req, &data) != 0 ||
	    nb_out_begin(&o, req, NB_KIND_RSP) != 0) {
		return;
	}
	int err = nb_msg_encode_sink_rsp(o.msg->data, o.msg->cap, req->msg.id, data.len, &len);

	(void)nb_out_send_encoded(&o, err == 0 ? len : 0);
}
NB_OP_DEFINE(sink, NB_OP_SINK, 0, handle_sink);

#ifdef CONFIG_REBOOT
static void handle_reboot(struct nb_req *req)
{
	if (nb_reply_empty(req) != 0) {
		return;
	}
	/* Let the answer reach the host (acknowledged) before the line goes away. */
	if (nb_tx_flush(K_MSEC(NB_REBOOT_FLUSH_MS)) != 0) {
		LOG_WRN("REBOOT answer not acknowledged; rebooting anyway");
	}
	LOG_INF("rebooting at the host's request");
	k_sleep(K_MSEC(20)); /* the UART drains its last bytes */
	sys_reboot(SYS_REBOOT_COLD);
}
NB_OP_DEFINE(reboot, NB_OP_REBOOT, 0, handle_reboot);
#endif
