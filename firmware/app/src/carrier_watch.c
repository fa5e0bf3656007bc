/*
 * Carrier watcher for smsc911x/LAN9220 Ethernet (mps2/an385; QEMU's lan9118 model).
 *
 * Why: Zephyr's eth_smsc911x driver reads the PHY only at init and never reports carrier, so a link
 * loss (a pulled cable, QEMU's monitor "set_link net0 off") raises no NET_EVENT_IF_DOWN/UP. This
 * polls the PHY Basic Status Register's link bit every CONFIG_NETBRIDGE_APP_CARRIER_WATCH_INTERVAL_MS
 * and calls net_if_carrier_on/off() on changes.
 *
 * The PHY is reached through the MAC CSR indirect registers (MAC_CSR_CMD/MAC_CSR_DATA -> MII_ACC/
 * MII_DATA), the same protocol as the driver's smsc_phy_regread(). The driver uses the MAC CSRs only
 * during its init and iface init (never from its ISR), so polling starts once the interface is admin
 * up, each access is a few register cycles with bounded busy-waits, and it runs with the scheduler
 * locked so no other thread can interleave with one access.
 */
#include <zephyr/kernel.h>
#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/init.h>
#include <zephyr/logging/log.h>
#include <zephyr/net/net_if.h>
#include <zephyr/sys/sys_io.h>
#include <zephyr/sys/util.h>

LOG_MODULE_REGISTER(netbridge_carrier, LOG_LEVEL_INF);

#define NIC_NODE DT_COMPAT_GET_ANY_STATUS_OKAY(smsc_lan9220)
#if !DT_NODE_EXISTS(NIC_NODE)
#error "CONFIG_NETBRIDGE_APP_CARRIER_WATCH needs an enabled smsc,lan9220 node"
#endif
#define NIC_BASE ((mm_reg_t)DT_REG_ADDR(NIC_NODE))

/* System CSRs (byte offsets, as the driver's SMSC9220_TypeDef) */
#define MAC_CSR_CMD  0xA4
#define MAC_CSR_DATA 0xA8
#define MAC_CSR_CMD_BUSY BIT(31)
#define MAC_CSR_CMD_READ BIT(30)
/* MAC CSR indices and MII_ACC bits */
#define MAC_MII_ACC  0x6
#define MAC_MII_DATA 0x7
#define MII_ACC_MIIBZY BIT(0)
#define MII_ACC_READ   0
/* The internal PHY is at address 1; Basic Status Register bit 2 is the link status. */
#define PHY_ADDR 1
#define PHY_BSR  1
#define PHY_BSR_LINK BIT(2)

#define SPIN_LIMIT 10000 /* MII management frames take ~25 us; QEMU completes them at once */

static int mac_csr_wait(void)
{
	for (int i = 0; i < SPIN_LIMIT; i++) {
		if ((sys_read32(NIC_BASE + MAC_CSR_CMD) & MAC_CSR_CMD_BUSY) == 0) {
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static int mac_csr_read(uint8_t reg, uint32_t *val)
{
	sys_write32(MAC_CSR_CMD_BUSY | MAC_CSR_CMD_READ | reg, NIC_BASE + MAC_CSR_CMD);
	if (mac_csr_wait() != 0) {
		return -ETIMEDOUT;
	}
	*val = sys_read32(NIC_BASE + MAC_CSR_DATA);
	return 0;
}

static int mac_csr_write(uint8_t reg, uint32_t val)
{
	sys_write32(val, NIC_BASE + MAC_CSR_DATA);
	sys_write32(MAC_CSR_CMD_BUSY | reg, NIC_BASE + MAC_CSR_CMD);
	return mac_csr_wait();
}

static int phy_read(uint8_t reg, uint32_t *val)
{
	uint32_t acc;
	int err;

	err = mac_csr_read(MAC_MII_ACC, &acc);
	if (err != 0 || (acc & MII_ACC_MIIBZY) != 0) {
		return err != 0 ? err : -EBUSY;
	}
	err = mac_csr_write(MAC_MII_ACC,
			    (PHY_ADDR << 11) | ((reg & 0x1f) << 6) | MII_ACC_READ | MII_ACC_MIIBZY);
	for (int i = 0; err == 0; i++) {
		err = mac_csr_read(MAC_MII_ACC, &acc);
		if (err == 0 && (acc & MII_ACC_MIIBZY) == 0) {
			return mac_csr_read(MAC_MII_DATA, val);
		}
		if (i == SPIN_LIMIT) {
			err = -ETIMEDOUT;
		}
	}
	return err;
}

static struct net_if *watched;
static int reported = -1; /* last link state given to the stack; -1 before the first poll */
static void carrier_poll(struct k_work *work);
static K_WORK_DELAYABLE_DEFINE(carrier_work, carrier_poll);

static void carrier_poll(struct k_work *work)
{
	uint32_t bsr;
	int err;

	ARG_UNUSED(work);
	if (watched == NULL) {
		watched = net_if_lookup_by_dev(DEVICE_DT_GET(NIC_NODE));
	}
	if (watched == NULL || !net_if_is_admin_up(watched)) {
		goto again; /* not initialised/up yet: the driver may still be using the MAC CSRs */
	}

	k_sched_lock();
	err = phy_read(PHY_BSR, &bsr);
	k_sched_unlock();
	if (err != 0) {
		LOG_DBG("PHY BSR read: %d", err);
		goto again;
	}

	int link = (bsr & PHY_BSR_LINK) != 0;

	if (link != reported) {
		if (reported != -1 || !link) {
			LOG_INF("Ethernet link %s", link ? "up" : "down");
		}
		reported = link;
		if (link) {
			net_if_carrier_on(watched);
		} else {
			net_if_carrier_off(watched);
		}
	}
again:
	k_work_reschedule(&carrier_work, K_MSEC(CONFIG_NETBRIDGE_APP_CARRIER_WATCH_INTERVAL_MS));
}

static int carrier_watch_init(void)
{
	k_work_reschedule(&carrier_work, K_MSEC(CONFIG_NETBRIDGE_APP_CARRIER_WATCH_INTERVAL_MS));
	return 0;
}
SYS_INIT(carrier_watch_init, APPLICATION, CONFIG_APPLICATION_INIT_PRIORITY);
