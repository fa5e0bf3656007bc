/* netbridge companion app: start the bridge, and DHCPv4 on the Ethernet interface if there is one. */
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/dhcpv4.h>
#include <zephyr/net/ethernet.h>

#include <netbridge/netbridge.h>

LOG_MODULE_REGISTER(netbridge_app, LOG_LEVEL_INF);

int main(void)
{
	int err = netbridge_start();

	if (err != 0) {
		LOG_ERR("netbridge_start: %d", err);
	}

#if defined(CONFIG_NET_DHCPV4) && defined(CONFIG_NET_L2_ETHERNET)
	struct net_if *eth = net_if_get_first_by_type(&NET_L2_GET_NAME(ETHERNET));

	if (eth != NULL) {
		net_dhcpv4_start(eth);
	}
#endif
	return 0;
}
