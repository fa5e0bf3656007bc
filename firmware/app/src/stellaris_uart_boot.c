/*
 * Stellaris (lm3s6965, qemu_cortex_m3) UARTs at boot: every UART's interrupts masked, then one
 * character sent in polling mode on the shell UART and on the bridge UART, before anything enables
 * an interrupt (PRE_KERNEL_2: the drivers are initialised, interrupts are still locked).
 *
 * Masking: QEMU before 8.0 does not reset its PL011 model on a system reset, and Zephyr's driver
 * never clears the interrupt mask at init. After a reset the mask and the pending TX/RX levels of
 * the previous run survive, so the moment interrupts are unlocked the UART interrupt fires with no
 * callback installed yet to clear it, and the CPU never leaves the ISR: the board stops answering.
 *
 * Priming: the UART raises its TX interrupt only after a character has been sent. The driver sends
 * one (via loopback) on the first uart_irq_tx_enable(), but its "first time" flag is one static for
 * every instance, so only the UART that enables TX first gets it. The other one never transmits:
 * with the bridge usually first, the shell on UART0 queued its prompt and waited forever, and the
 * console printed nothing at all (printk and logs go through the shell's log backend).
 */
#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/init.h>

#define QUIESCE(node_id)                                                                           \
	{                                                                                          \
		const struct device *dev = DEVICE_DT_GET(node_id);                                 \
		if (device_is_ready(dev)) {                                                        \
			uart_irq_tx_disable(dev);                                                  \
			uart_irq_rx_disable(dev);                                                  \
			uart_irq_err_disable(dev);                                                 \
		}                                                                                  \
	}

static void prime(const struct device *dev, unsigned char c)
{
	if (device_is_ready(dev)) {
		uart_poll_out(dev, c);
	}
}

static int stellaris_uart_boot(void)
{
	DT_FOREACH_STATUS_OKAY(ti_stellaris_uart, QUIESCE)
#if DT_HAS_CHOSEN(zephyr_shell_uart)
	/* A carriage return: invisible on a terminal, and the shell redraws its line anyway. */
	prime(DEVICE_DT_GET(DT_CHOSEN(zephyr_shell_uart)), '\r');
#endif
#if DT_HAS_CHOSEN(zephyr_netbridge_uart)
	/* 0x00 is the frame delimiter: the host's decoder takes it as an empty gap between frames. */
	prime(DEVICE_DT_GET(DT_CHOSEN(zephyr_netbridge_uart)), 0x00);
#endif
	return 0;
}

SYS_INIT(stellaris_uart_boot, PRE_KERNEL_2, 0);
