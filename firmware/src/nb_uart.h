/*
 * The bridge UART, hiding how the driver moves bytes: interrupt-driven with ring buffers where the
 * driver supports it (the ARM boards), else a polling thread (native_sim's pty UART).
 */
#ifndef NB_UART_H_
#define NB_UART_H_

#include <stddef.h>
#include <stdint.h>
#include <zephyr/device.h>
#include <zephyr/kernel.h>

/* rx_ready is given whenever bytes arrive. 0, or -ENODEV when the device is not ready. */
int nb_uart_init(const struct device *dev, struct k_sem *rx_ready);
/* Received bytes, at most len; 0 when none are waiting. Single reader. */
size_t nb_uart_read(uint8_t *buf, size_t len);
/* Queues bytes for the line; waits for room, and drops what finds none within a bound (the ARQ
 * retransmits). Single writer. */
void nb_uart_write(const uint8_t *data, size_t len);
/* Received bytes lost because the receive ring was full. */
uint32_t nb_uart_rx_overflows(void);
/* Bytes to be sent dropped for lack of room. */
uint32_t nb_uart_tx_drops(void);

#endif /* NB_UART_H_ */
