/*
 * Echoes every byte received on uart1 (QEMU's second -serial, netbridge's bridge UART) back out of
 * it, from the UART interrupt through a ring buffer. Measures what the emulated serial device
 * carries with no protocol at all. Bytes that find the ring full are counted, not silently lost.
 */
#include <zephyr/kernel.h>
#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/sys/printk.h>
#include <zephyr/sys/ring_buffer.h>

static const struct device *const echo_uart = DEVICE_DT_GET(DT_NODELABEL(uart1));

RING_BUF_DECLARE(echo_ring, 8192);
static atomic_t echo_dropped;

/* One pass per interrupt: CMSDK reports TX ready whenever its holding register is empty. */
static void echo_isr(const struct device *dev, void *user_data)
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
			uint32_t put = ring_buf_put(&echo_ring, tmp, n);

			if (put < (uint32_t)n) {
				atomic_add(&echo_dropped, n - put);
			}
			got = true;
		}
		if (got) {
			uart_irq_tx_enable(dev);
		}
	}
	if (uart_irq_tx_ready(dev) > 0) {
		uint8_t *p;
		uint32_t n = ring_buf_get_claim(&echo_ring, &p, 64);

		if (n == 0) {
			uart_irq_tx_disable(dev);
		} else {
			int sent = uart_fifo_fill(dev, p, n);

			ring_buf_get_finish(&echo_ring, sent > 0 ? sent : 0);
		}
	}
}

int main(void)
{
	if (!device_is_ready(echo_uart)) {
		printk("echo: uart1 not ready\n");
		return 0;
	}
	(void)uart_irq_callback_user_data_set(echo_uart, echo_isr, NULL);
	uart_irq_rx_enable(echo_uart);
	printk("echo: ready\n");
	for (;;) {
		k_sleep(K_MSEC(500));
		atomic_val_t d = atomic_set(&echo_dropped, 0);

		if (d != 0) {
			printk("echo: dropped %ld\n", (long)d);
		}
	}
	return 0;
}
