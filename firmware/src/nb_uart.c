/* The bridge UART: see nb_uart.h. */
#include "nb_uart.h"

#include <zephyr/drivers/uart.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/sys/ring_buffer.h>

LOG_MODULE_DECLARE(netbridge, CONFIG_NETBRIDGE_LOG_LEVEL);

/* How long a writer waits for transmit room before dropping the rest of a frame. */
#define NB_UART_TX_WAIT_MS 200

static const struct device *uart_dev;
static struct k_sem *rx_signal;
static atomic_t rx_overflows;
static atomic_t tx_drops;

RING_BUF_DECLARE(rx_ring, CONFIG_NETBRIDGE_UART_RX_RING);

#ifdef CONFIG_UART_INTERRUPT_DRIVEN
RING_BUF_DECLARE(tx_ring, CONFIG_NETBRIDGE_UART_TX_RING);
static K_SEM_DEFINE(tx_room, 0, 1);

/*
 * One pass per interrupt, not a loop on uart_irq_is_pending(): some drivers (CMSDK) report TX
 * ready whenever the holding register is empty, enabled or not, so such a loop never ends.
 */
static void uart_isr(const struct device *dev, void *user_data)
{
	ARG_UNUSED(user_data);

	if (uart_irq_update(dev) <= 0) {
		return;
	}
	if (uart_irq_rx_ready(dev) > 0) {
		uint8_t tmp[32];
		int n;
		bool got = false;

		while ((n = uart_fifo_read(dev, tmp, sizeof(tmp))) > 0) {
			uint32_t put = ring_buf_put(&rx_ring, tmp, n);

			if (put < (uint32_t)n) {
				atomic_add(&rx_overflows, n - put);
			}
			got = true;
		}
		if (got) {
			k_sem_give(rx_signal);
		}
	}
	if (uart_irq_tx_ready(dev) > 0) {
		uint8_t *p;
		uint32_t n = ring_buf_get_claim(&tx_ring, &p, 64);

		if (n == 0) {
			uart_irq_tx_disable(dev);
		} else {
			int sent = uart_fifo_fill(dev, p, n);

			ring_buf_get_finish(&tx_ring, sent > 0 ? sent : 0);
			k_sem_give(&tx_room);
		}
	}
}
#else /* !CONFIG_UART_INTERRUPT_DRIVEN */

/* Drivers without interrupt support (native_sim's pty): poll at a fixed interval. */
static void poll_thread(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);

	for (;;) {
		uint8_t ch;
		uint32_t got = 0;

		while (got < CONFIG_NETBRIDGE_UART_RX_RING && uart_poll_in(uart_dev, &ch) == 0) {
			if (ring_buf_put(&rx_ring, &ch, 1) == 0) {
				atomic_inc(&rx_overflows);
			}
			got++;
		}
		if (got > 0) {
			k_sem_give(rx_signal);
		}
		k_sleep(K_MSEC(CONFIG_NETBRIDGE_UART_POLL_INTERVAL_MS));
	}
}

K_THREAD_STACK_DEFINE(poll_stack, 1024);
static struct k_thread poll_thread_data;
#endif /* CONFIG_UART_INTERRUPT_DRIVEN */

int nb_uart_init(const struct device *dev, struct k_sem *rx_ready)
{
	if (!device_is_ready(dev)) {
		return -ENODEV;
	}
	uart_dev = dev;
	rx_signal = rx_ready;

#ifdef CONFIG_UART_INTERRUPT_DRIVEN
	/* The callback goes in before any enable: the Stellaris UART raises TX at once. */
	if (uart_irq_callback_user_data_set(dev, uart_isr, NULL) == 0) {
		uint8_t ch;

		while (uart_fifo_read(dev, &ch, 1) > 0) {
			/* stale input from before boot */
		}
		uart_irq_rx_enable(dev);
		LOG_INF("bridge UART %s: interrupt-driven", dev->name);
		return 0;
	}
	LOG_ERR("bridge UART %s has no interrupt API; build without CONFIG_UART_INTERRUPT_DRIVEN",
		dev->name);
	return -ENOTSUP;
#else
	k_thread_create(&poll_thread_data, poll_stack, K_THREAD_STACK_SIZEOF(poll_stack),
			poll_thread, NULL, NULL, NULL, CONFIG_NETBRIDGE_LINK_PRIORITY, 0, K_NO_WAIT);
	k_thread_name_set(&poll_thread_data, "nb_uart_poll");
	LOG_INF("bridge UART %s: polled", dev->name);
	return 0;
#endif
}

size_t nb_uart_read(uint8_t *buf, size_t len)
{
	return ring_buf_get(&rx_ring, buf, len);
}

void nb_uart_write(const uint8_t *data, size_t len)
{
#ifdef CONFIG_UART_INTERRUPT_DRIVEN
	{
		int64_t give_up = k_uptime_get() + NB_UART_TX_WAIT_MS;

		while (len > 0) {
			uint32_t put = ring_buf_put(&tx_ring, data, len);

			data += put;
			len -= put;
			uart_irq_tx_enable(uart_dev);
			if (len == 0) {
				break;
			}
			if (k_uptime_get() >= give_up) {
				atomic_add(&tx_drops, len);
				break;
			}
			(void)k_sem_take(&tx_room, K_MSEC(10));
		}
	}
#else
	for (size_t i = 0; i < len; i++) {
		uart_poll_out(uart_dev, data[i]);
	}
#endif
}

uint32_t nb_uart_rx_overflows(void)
{
	return (uint32_t)atomic_get(&rx_overflows);
}

uint32_t nb_uart_tx_drops(void)
{
	return (uint32_t)atomic_get(&tx_drops);
}
