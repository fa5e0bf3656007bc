/* firmware/app's main, with the bridge optional: the footprint baseline builds without it. */
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/net_if.h>
#include <zephyr/net/dhcpv4.h>
#include <zephyr/net/ethernet.h>

#if defined(CONFIG_NETBRIDGE_RUNTIME)
#include <netbridge/netbridge.h>
#endif

LOG_MODULE_REGISTER(netbridge_footprint, LOG_LEVEL_INF);

int main(void)
{
#if defined(CONFIG_NETBRIDGE_RUNTIME)
	int err = netbridge_start();

	if (err != 0) {
		LOG_ERR("netbridge_start: %d", err);
	}
#endif
#if defined(CONFIG_NET_DHCPV4) && defined(CONFIG_NET_L2_ETHERNET)
	struct net_if *eth = net_if_get_first_by_type(&NET_L2_GET_NAME(ETHERNET));

	if (eth != NULL) {
		net_dhcpv4_start(eth);
	}
#endif
	return 0;
}
