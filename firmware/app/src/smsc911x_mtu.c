/*
 * Ethernet MTU for smsc911x/LAN9220 NICs (mps2/an385; QEMU's lan9118 model).
 *
 * Why: the driver reads a received frame as whole 32-bit words including the 4-byte FCS (it asks
 * for round_up(len + 4, 4) - 4 bytes) into a packet buffer that Zephyr caps at MTU + 14. At the
 * default MTU of 1500 a full-size frame (1514 bytes: a peer's 1460-byte TCP segment) needs 1516,
 * the read fails and the frame is dropped without a trace; a host sending a bulk stream through
 * QEMU's host forward never gets past its first segment. With an MTU of 2 mod 4 every legal frame
 * fits (round_up(MTU + 18, 4) - 4 == MTU + 14), and the TCP MSS the board announces follows the MTU.
 */
#include <zephyr/init.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/net_if.h>

LOG_MODULE_REGISTER(netbridge_smsc911x_mtu, LOG_LEVEL_INF);

BUILD_ASSERT(CONFIG_NETBRIDGE_APP_SMSC911X_MTU % 4 == 2 && CONFIG_NETBRIDGE_APP_SMSC911X_MTU <= 1500,
	     "the MTU must be 2 mod 4 (and at most Ethernet's 1500) for every frame to fit");

static int smsc911x_mtu_init(void)
{
	struct net_if *iface = net_if_get_first_by_type(&NET_L2_GET_NAME(ETHERNET));

	if (iface == NULL) {
		LOG_WRN("no Ethernet interface: MTU left alone");
		return 0;
	}
	net_if_set_mtu(iface, CONFIG_NETBRIDGE_APP_SMSC911X_MTU);
	LOG_INF("Ethernet MTU %u (smsc911x receive buffer workaround)", net_if_get_mtu(iface));
	return 0;
}

SYS_INIT(smsc911x_mtu_init, APPLICATION, CONFIG_APPLICATION_INIT_PRIORITY);
