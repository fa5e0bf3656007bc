/**
 * net_mgmt event codes, computed the way Zephyr's headers compute them, for both layouts:
 *
 *  - '64' (Zephyr >= 4.1.99, i.e. 4.2 and the 4.1.99 development tree): include/zephyr/net/net_mgmt.h
 *    event bit 63, iface bit 62, layer bits 61-60, sync bit 59, layer code bits 58-52
 *    (enum net_mgmt_layer_code), command bits 51-0 one-hot: BIT64(NET_EVENT_*_CMD_*_VAL).
 *  - '32' (Zephyr 3.7): event bit 31, iface bit 30, layer bits 29-28, sync bit 27, layer code bits
 *    26-16 (per-subsystem codes such as _NET_IF_CORE_CODE 0x001), command bits 15-0 numbered from 1.
 *
 * Which layout a board uses follows from the Zephyr version in its HELLO (see layoutForZephyrVersion).
 * The wire carries the board's own code; NET_EVENT_* below are the 64-bit values, and eventCodes('32')
 * gives the same names with 3.7's values.
 */

export type EventLayout = '64' | '32';

export const NET_MGMT_LAYER_L2 = 1;
export const NET_MGMT_LAYER_L3 = 2;
export const NET_MGMT_LAYER_L4 = 3;
const LAYER_NAMES: Record<number, string> = { 1: 'L2', 2: 'L3', 3: 'L4' };

/** enum net_mgmt_layer_code (64-bit layout). */
export const NET_MGMT_LAYER_CODE = {
  UNKNOWN: 0x00,
  IFACE: 0x01,
  CONN: 0x02,
  IPV4: 0x03,
  IPV6: 0x04,
  L4: 0x05,
  COAP: 0x06,
  STATS: 0x07,
  HOSTAP: 0x08,
  ETHERNET: 0x09,
  IEEE802154: 0x0a,
  PPP: 0x0b,
  VIRTUAL: 0x0c,
  WIFI: 0x0d,
  USER3: 0x7c,
  USER2: 0x7d,
  USER1: 0x7e,
  RESERVED: 0x7f,
} as const;

/** Zephyr 3.7's per-subsystem layer codes (_NET_IF_CORE_CODE, _NET_IPV6_CORE_CODE, ...). */
export const NET_MGMT_LAYER_CODE_32 = {
  IFACE: 0x001,
  IPV4: 0x004,
  IPV6: 0x060,
  STATS: 0x101,
  L4: 0x114,
  IEEE802154: 0x154,
  WIFI: 0x156,
  COAP: 0x1c0,
  CONN: 0x207,
  ETHERNET: 0x208,
  PPP: 0x209,
} as const;

interface Layout {
  eventBit: bigint;
  ifaceBit: bigint;
  syncBit: bigint;
  layerShift: bigint;
  layerMask: bigint;
  codeShift: bigint;
  codeMask: bigint;
  commandMask: bigint;
}

const LAYOUTS: Record<EventLayout, Layout> = {
  '64': {
    eventBit: 1n << 63n,
    ifaceBit: 1n << 62n,
    syncBit: 1n << 59n,
    layerShift: 60n,
    layerMask: 0x3n,
    codeShift: 52n,
    codeMask: 0x7fn,
    commandMask: (1n << 52n) - 1n,
  },
  '32': {
    eventBit: 1n << 31n,
    ifaceBit: 1n << 30n,
    syncBit: 1n << 27n,
    layerShift: 28n,
    layerMask: 0x3n,
    codeShift: 16n,
    codeMask: 0x7ffn,
    commandMask: 0xffffn,
  },
};

/** An event family: one layer code and its command list, as a header declares it. */
interface Family {
  layer: number;
  code64: number;
  code32: number;
  /** The base carries NET_MGMT_IFACE_BIT (all but CoAP's). */
  onIface: boolean;
  /** Event names in command order (…_CMD_*_VAL order in the 64-bit headers). */
  commands: readonly string[];
  /** 3.7's command order when it differs (numbered from 1). */
  commands32?: readonly string[];
}

const IPV6_COMMANDS = [
  'IPV6_ADDR_ADD', 'IPV6_ADDR_DEL', 'IPV6_MADDR_ADD', 'IPV6_MADDR_DEL', 'IPV6_PREFIX_ADD',
  'IPV6_PREFIX_DEL', 'IPV6_MCAST_JOIN', 'IPV6_MCAST_LEAVE', 'IPV6_ROUTER_ADD', 'IPV6_ROUTER_DEL',
  'IPV6_ROUTE_ADD', 'IPV6_ROUTE_DEL', 'IPV6_DAD_SUCCEED', 'IPV6_DAD_FAILED', 'IPV6_NBR_ADD',
  'IPV6_NBR_DEL', 'IPV6_DHCP_START', 'IPV6_DHCP_BOUND', 'IPV6_DHCP_STOP', 'IPV6_ADDR_DEPRECATED',
  'IPV6_PE_ENABLED', 'IPV6_PE_DISABLED', 'IPV6_PE_FILTER_ADD', 'IPV6_PE_FILTER_DEL', 'IPV6_PMTU_CHANGED',
] as const;
const IPV4_COMMANDS = [
  'IPV4_ADDR_ADD', 'IPV4_ADDR_DEL', 'IPV4_MADDR_ADD', 'IPV4_MADDR_DEL', 'IPV4_ROUTER_ADD',
  'IPV4_ROUTER_DEL', 'IPV4_DHCP_START', 'IPV4_DHCP_BOUND', 'IPV4_DHCP_STOP', 'IPV4_MCAST_JOIN',
  'IPV4_MCAST_LEAVE', 'IPV4_ACD_SUCCEED', 'IPV4_ACD_FAILED', 'IPV4_ACD_CONFLICT', 'IPV4_PMTU_CHANGED',
] as const;
const L4_COMMANDS = [
  'L4_CONNECTED', 'L4_DISCONNECTED', 'L4_IPV4_CONNECTED', 'L4_IPV4_DISCONNECTED', 'L4_IPV6_CONNECTED',
  'L4_IPV6_DISCONNECTED', 'DNS_SERVER_ADD', 'DNS_SERVER_DEL', 'HOSTNAME_CHANGED', 'CAPTURE_STARTED',
  'CAPTURE_STOPPED', 'VPN_CONNECTED', 'VPN_DISCONNECTED', 'VPN_PEER_ADD', 'VPN_PEER_DEL',
] as const;
// NEIGHBOR_REP_RECEIVED and SUPPLICANT have no NET_EVENT_ macro in wifi_mgmt.h; the names follow the
// command names. NEIGHBOR_REP_COMPLETE's macro is NET_EVENT_WIFI_NEIGHBOR_REP_COMP.
const WIFI_COMMANDS = [
  'WIFI_SCAN_RESULT', 'WIFI_SCAN_DONE', 'WIFI_CONNECT_RESULT', 'WIFI_DISCONNECT_RESULT',
  'WIFI_IFACE_STATUS', 'WIFI_TWT', 'WIFI_TWT_SLEEP_STATE', 'WIFI_RAW_SCAN_RESULT',
  'WIFI_DISCONNECT_COMPLETE', 'WIFI_SIGNAL_CHANGE', 'WIFI_NEIGHBOR_REP_RECEIVED',
  'WIFI_NEIGHBOR_REP_COMP', 'WIFI_AP_ENABLE_RESULT', 'WIFI_AP_DISABLE_RESULT',
  'WIFI_AP_STA_CONNECTED', 'WIFI_AP_STA_DISCONNECTED', 'WIFI_SUPPLICANT',
] as const;
const WIFI_COMMANDS_32 = [
  'WIFI_SCAN_RESULT', 'WIFI_SCAN_DONE', 'WIFI_CONNECT_RESULT', 'WIFI_DISCONNECT_RESULT',
  'WIFI_IFACE_STATUS', 'WIFI_TWT', 'WIFI_TWT_SLEEP_STATE', 'WIFI_RAW_SCAN_RESULT',
  'WIFI_DISCONNECT_COMPLETE', 'WIFI_AP_ENABLE_RESULT', 'WIFI_AP_DISABLE_RESULT',
  'WIFI_AP_STA_CONNECTED', 'WIFI_AP_STA_DISCONNECTED',
] as const;

const C = NET_MGMT_LAYER_CODE;
const C32 = NET_MGMT_LAYER_CODE_32;
const FAMILIES: readonly Family[] = [
  // net_event.h
  { layer: NET_MGMT_LAYER_L2, code64: C.IFACE, code32: C32.IFACE, onIface: true,
    commands: ['IF_DOWN', 'IF_UP', 'IF_ADMIN_DOWN', 'IF_ADMIN_UP'] },
  { layer: NET_MGMT_LAYER_L3, code64: C.IPV6, code32: C32.IPV6, onIface: true, commands: IPV6_COMMANDS },
  { layer: NET_MGMT_LAYER_L3, code64: C.IPV4, code32: C32.IPV4, onIface: true, commands: IPV4_COMMANDS },
  { layer: NET_MGMT_LAYER_L4, code64: C.L4, code32: C32.L4, onIface: true, commands: L4_COMMANDS,
    commands32: L4_COMMANDS.slice(0, 11) },
  // conn_mgr_connectivity.h
  { layer: NET_MGMT_LAYER_L2, code64: C.CONN, code32: C32.CONN, onIface: true,
    commands: ['CONN_IF_TIMEOUT', 'CONN_IF_FATAL_ERROR'] },
  // ethernet_mgmt.h
  { layer: NET_MGMT_LAYER_L2, code64: C.ETHERNET, code32: C32.ETHERNET, onIface: true,
    commands: ['ETHERNET_CARRIER_ON', 'ETHERNET_CARRIER_OFF', 'ETHERNET_VLAN_TAG_ENABLED', 'ETHERNET_VLAN_TAG_DISABLED'] },
  // wifi_mgmt.h
  { layer: NET_MGMT_LAYER_L2, code64: C.WIFI, code32: C32.WIFI, onIface: true, commands: WIFI_COMMANDS,
    commands32: WIFI_COMMANDS_32 },
  // ppp.h
  { layer: NET_MGMT_LAYER_L2, code64: C.PPP, code32: C32.PPP, onIface: true,
    commands: ['PPP_CARRIER_ON', 'PPP_CARRIER_OFF', 'PPP_PHASE_RUNNING', 'PPP_PHASE_DEAD'],
    commands32: ['PPP_CARRIER_ON', 'PPP_CARRIER_OFF'] },
  // ieee802154_mgmt.h
  { layer: NET_MGMT_LAYER_L2, code64: C.IEEE802154, code32: C32.IEEE802154, onIface: true,
    commands: ['IEEE802154_SCAN_RESULT'] },
  // coap_mgmt.h: NET_COAP_IF_BASE has no NET_MGMT_IFACE_BIT
  { layer: NET_MGMT_LAYER_L4, code64: C.COAP, code32: C32.COAP, onIface: false,
    commands: ['COAP_SERVICE_STARTED', 'COAP_SERVICE_STOPPED', 'COAP_OBSERVER_ADDED', 'COAP_OBSERVER_REMOVED'] },
];

/** Builds a code from its parts in a layout (NET_MGMT_EVENT_BIT | IFACE | LAYER | LAYER_CODE | cmd). */
export function composeEventCode(
  parts: { layer: number; layerCode: number; command: number | bigint; onIface?: boolean; sync?: boolean; event?: boolean },
  layout: EventLayout = '64',
): bigint {
  const l = LAYOUTS[layout];
  const command = BigInt(parts.command);
  if (parts.layer < 0 || BigInt(parts.layer) > l.layerMask) throw new RangeError(`layer ${parts.layer} out of range`);
  if (parts.layerCode < 0 || BigInt(parts.layerCode) > l.codeMask) throw new RangeError(`layer code ${parts.layerCode} out of range`);
  if (command < 0n || command > l.commandMask) throw new RangeError(`command ${parts.command} out of range`);
  return (
    (parts.event === false ? 0n : l.eventBit) |
    (parts.onIface ? l.ifaceBit : 0n) |
    (parts.sync ? l.syncBit : 0n) |
    (BigInt(parts.layer) << l.layerShift) |
    (BigInt(parts.layerCode) << l.codeShift) |
    command
  );
}

function familyCode(f: Family, layout: EventLayout): number {
  return layout === '64' ? f.code64 : f.code32;
}

function familyCommands(f: Family, layout: EventLayout): readonly string[] {
  return layout === '32' ? (f.commands32 ?? f.commands) : f.commands;
}

function commandValue(index: number, layout: EventLayout): bigint {
  return layout === '64' ? 1n << BigInt(index) : BigInt(index + 1);
}

function buildTable(layout: EventLayout): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const f of FAMILIES) {
    familyCommands(f, layout).forEach((name, i) => {
      out[`NET_EVENT_${name}`] = composeEventCode(
        { layer: f.layer, layerCode: familyCode(f, layout), command: commandValue(i, layout), onIface: f.onIface },
        layout,
      );
    });
  }
  return Object.freeze(out);
}

const TABLES: Record<EventLayout, Readonly<Record<string, bigint>>> = { '64': buildTable('64'), '32': buildTable('32') };
const NAMES: Record<EventLayout, Map<bigint, string>> = {
  '64': new Map(Object.entries(TABLES['64']).map(([n, c]) => [c, n])),
  '32': new Map(Object.entries(TABLES['32']).map(([n, c]) => [c, n])),
};

/** Every known event name -> code in `layout` ("NET_EVENT_IF_UP" -> 0xd010000000000002n). */
export function eventCodes(layout: EventLayout = '64'): Readonly<Record<string, bigint>> {
  return TABLES[layout];
}

const T = TABLES['64'];
function c(name: string): bigint {
  const v = T[`NET_EVENT_${name}`];
  if (v === undefined) throw new Error(`no event ${name}`); // a typo in this file: fails at import
  return v;
}

// 64-bit constants, named as in Zephyr's headers.
export const NET_EVENT_IF_DOWN = c('IF_DOWN');
export const NET_EVENT_IF_UP = c('IF_UP');
export const NET_EVENT_IF_ADMIN_DOWN = c('IF_ADMIN_DOWN');
export const NET_EVENT_IF_ADMIN_UP = c('IF_ADMIN_UP');
export const NET_EVENT_IPV6_ADDR_ADD = c('IPV6_ADDR_ADD');
export const NET_EVENT_IPV6_ADDR_DEL = c('IPV6_ADDR_DEL');
export const NET_EVENT_IPV6_MADDR_ADD = c('IPV6_MADDR_ADD');
export const NET_EVENT_IPV6_MADDR_DEL = c('IPV6_MADDR_DEL');
export const NET_EVENT_IPV6_PREFIX_ADD = c('IPV6_PREFIX_ADD');
export const NET_EVENT_IPV6_PREFIX_DEL = c('IPV6_PREFIX_DEL');
export const NET_EVENT_IPV6_MCAST_JOIN = c('IPV6_MCAST_JOIN');
export const NET_EVENT_IPV6_MCAST_LEAVE = c('IPV6_MCAST_LEAVE');
export const NET_EVENT_IPV6_ROUTER_ADD = c('IPV6_ROUTER_ADD');
export const NET_EVENT_IPV6_ROUTER_DEL = c('IPV6_ROUTER_DEL');
export const NET_EVENT_IPV6_ROUTE_ADD = c('IPV6_ROUTE_ADD');
export const NET_EVENT_IPV6_ROUTE_DEL = c('IPV6_ROUTE_DEL');
export const NET_EVENT_IPV6_DAD_SUCCEED = c('IPV6_DAD_SUCCEED');
export const NET_EVENT_IPV6_DAD_FAILED = c('IPV6_DAD_FAILED');
export const NET_EVENT_IPV6_NBR_ADD = c('IPV6_NBR_ADD');
export const NET_EVENT_IPV6_NBR_DEL = c('IPV6_NBR_DEL');
export const NET_EVENT_IPV6_DHCP_START = c('IPV6_DHCP_START');
export const NET_EVENT_IPV6_DHCP_BOUND = c('IPV6_DHCP_BOUND');
export const NET_EVENT_IPV6_DHCP_STOP = c('IPV6_DHCP_STOP');
export const NET_EVENT_IPV6_ADDR_DEPRECATED = c('IPV6_ADDR_DEPRECATED');
export const NET_EVENT_IPV6_PE_ENABLED = c('IPV6_PE_ENABLED');
export const NET_EVENT_IPV6_PE_DISABLED = c('IPV6_PE_DISABLED');
export const NET_EVENT_IPV6_PE_FILTER_ADD = c('IPV6_PE_FILTER_ADD');
export const NET_EVENT_IPV6_PE_FILTER_DEL = c('IPV6_PE_FILTER_DEL');
export const NET_EVENT_IPV6_PMTU_CHANGED = c('IPV6_PMTU_CHANGED');
export const NET_EVENT_IPV4_ADDR_ADD = c('IPV4_ADDR_ADD');
export const NET_EVENT_IPV4_ADDR_DEL = c('IPV4_ADDR_DEL');
export const NET_EVENT_IPV4_MADDR_ADD = c('IPV4_MADDR_ADD');
export const NET_EVENT_IPV4_MADDR_DEL = c('IPV4_MADDR_DEL');
export const NET_EVENT_IPV4_ROUTER_ADD = c('IPV4_ROUTER_ADD');
export const NET_EVENT_IPV4_ROUTER_DEL = c('IPV4_ROUTER_DEL');
export const NET_EVENT_IPV4_DHCP_START = c('IPV4_DHCP_START');
export const NET_EVENT_IPV4_DHCP_BOUND = c('IPV4_DHCP_BOUND');
export const NET_EVENT_IPV4_DHCP_STOP = c('IPV4_DHCP_STOP');
export const NET_EVENT_IPV4_MCAST_JOIN = c('IPV4_MCAST_JOIN');
export const NET_EVENT_IPV4_MCAST_LEAVE = c('IPV4_MCAST_LEAVE');
export const NET_EVENT_IPV4_ACD_SUCCEED = c('IPV4_ACD_SUCCEED');
export const NET_EVENT_IPV4_ACD_FAILED = c('IPV4_ACD_FAILED');
export const NET_EVENT_IPV4_ACD_CONFLICT = c('IPV4_ACD_CONFLICT');
export const NET_EVENT_IPV4_PMTU_CHANGED = c('IPV4_PMTU_CHANGED');
export const NET_EVENT_L4_CONNECTED = c('L4_CONNECTED');
export const NET_EVENT_L4_DISCONNECTED = c('L4_DISCONNECTED');
export const NET_EVENT_L4_IPV4_CONNECTED = c('L4_IPV4_CONNECTED');
export const NET_EVENT_L4_IPV4_DISCONNECTED = c('L4_IPV4_DISCONNECTED');
export const NET_EVENT_L4_IPV6_CONNECTED = c('L4_IPV6_CONNECTED');
export const NET_EVENT_L4_IPV6_DISCONNECTED = c('L4_IPV6_DISCONNECTED');
export const NET_EVENT_DNS_SERVER_ADD = c('DNS_SERVER_ADD');
export const NET_EVENT_DNS_SERVER_DEL = c('DNS_SERVER_DEL');
export const NET_EVENT_HOSTNAME_CHANGED = c('HOSTNAME_CHANGED');
export const NET_EVENT_CAPTURE_STARTED = c('CAPTURE_STARTED');
export const NET_EVENT_CAPTURE_STOPPED = c('CAPTURE_STOPPED');
export const NET_EVENT_VPN_CONNECTED = c('VPN_CONNECTED');
export const NET_EVENT_VPN_DISCONNECTED = c('VPN_DISCONNECTED');
export const NET_EVENT_VPN_PEER_ADD = c('VPN_PEER_ADD');
export const NET_EVENT_VPN_PEER_DEL = c('VPN_PEER_DEL');
export const NET_EVENT_CONN_IF_TIMEOUT = c('CONN_IF_TIMEOUT');
export const NET_EVENT_CONN_IF_FATAL_ERROR = c('CONN_IF_FATAL_ERROR');
export const NET_EVENT_ETHERNET_CARRIER_ON = c('ETHERNET_CARRIER_ON');
export const NET_EVENT_ETHERNET_CARRIER_OFF = c('ETHERNET_CARRIER_OFF');
export const NET_EVENT_ETHERNET_VLAN_TAG_ENABLED = c('ETHERNET_VLAN_TAG_ENABLED');
export const NET_EVENT_ETHERNET_VLAN_TAG_DISABLED = c('ETHERNET_VLAN_TAG_DISABLED');
export const NET_EVENT_WIFI_SCAN_RESULT = c('WIFI_SCAN_RESULT');
export const NET_EVENT_WIFI_SCAN_DONE = c('WIFI_SCAN_DONE');
export const NET_EVENT_WIFI_CONNECT_RESULT = c('WIFI_CONNECT_RESULT');
export const NET_EVENT_WIFI_DISCONNECT_RESULT = c('WIFI_DISCONNECT_RESULT');
export const NET_EVENT_WIFI_IFACE_STATUS = c('WIFI_IFACE_STATUS');
export const NET_EVENT_WIFI_TWT = c('WIFI_TWT');
export const NET_EVENT_WIFI_TWT_SLEEP_STATE = c('WIFI_TWT_SLEEP_STATE');
export const NET_EVENT_WIFI_RAW_SCAN_RESULT = c('WIFI_RAW_SCAN_RESULT');
export const NET_EVENT_WIFI_DISCONNECT_COMPLETE = c('WIFI_DISCONNECT_COMPLETE');
export const NET_EVENT_WIFI_SIGNAL_CHANGE = c('WIFI_SIGNAL_CHANGE');
export const NET_EVENT_WIFI_NEIGHBOR_REP_RECEIVED = c('WIFI_NEIGHBOR_REP_RECEIVED');
export const NET_EVENT_WIFI_NEIGHBOR_REP_COMP = c('WIFI_NEIGHBOR_REP_COMP');
export const NET_EVENT_WIFI_AP_ENABLE_RESULT = c('WIFI_AP_ENABLE_RESULT');
export const NET_EVENT_WIFI_AP_DISABLE_RESULT = c('WIFI_AP_DISABLE_RESULT');
export const NET_EVENT_WIFI_AP_STA_CONNECTED = c('WIFI_AP_STA_CONNECTED');
export const NET_EVENT_WIFI_AP_STA_DISCONNECTED = c('WIFI_AP_STA_DISCONNECTED');
export const NET_EVENT_WIFI_SUPPLICANT = c('WIFI_SUPPLICANT');
export const NET_EVENT_PPP_CARRIER_ON = c('PPP_CARRIER_ON');
export const NET_EVENT_PPP_CARRIER_OFF = c('PPP_CARRIER_OFF');
export const NET_EVENT_PPP_PHASE_RUNNING = c('PPP_PHASE_RUNNING');
export const NET_EVENT_PPP_PHASE_DEAD = c('PPP_PHASE_DEAD');
export const NET_EVENT_IEEE802154_SCAN_RESULT = c('IEEE802154_SCAN_RESULT');
export const NET_EVENT_COAP_SERVICE_STARTED = c('COAP_SERVICE_STARTED');
export const NET_EVENT_COAP_SERVICE_STOPPED = c('COAP_SERVICE_STOPPED');
export const NET_EVENT_COAP_OBSERVER_ADDED = c('COAP_OBSERVER_ADDED');
export const NET_EVENT_COAP_OBSERVER_REMOVED = c('COAP_OBSERVER_REMOVED');

export interface DecodedEventCode {
  /** NET_MGMT_LAYER_L2 (1), L3 (2) or L4 (3). */
  layer: number;
  layerName: string;
  layerCode: number;
  /** The layer code's name (IFACE, IPV4, ...), when known in this layout. */
  layerCodeName: string | undefined;
  /** The raw command field: one-hot bits in '64', a number from 1 in '32'. */
  command: number;
  /** NET_EVENT_* name when the code is exactly a known event. */
  name: string | undefined;
  isEvent: boolean;
  onIface: boolean;
  sync: boolean;
}

const LAYER_CODE_NAMES: Record<EventLayout, Map<number, string>> = {
  '64': new Map(Object.entries(NET_MGMT_LAYER_CODE).map(([n, v]) => [v, n])),
  '32': new Map(Object.entries(NET_MGMT_LAYER_CODE_32).map(([n, v]) => [v, n])),
};

/** Splits a code into its fields (NET_MGMT_GET_LAYER, _GET_LAYER_CODE, _GET_COMMAND, ...). */
export function decodeEventCode(code: bigint | number, layout: EventLayout = '64'): DecodedEventCode {
  const l = LAYOUTS[layout];
  const v = BigInt(code);
  const layer = Number((v >> l.layerShift) & l.layerMask);
  const layerCode = Number((v >> l.codeShift) & l.codeMask);
  return {
    layer,
    layerName: LAYER_NAMES[layer] ?? `layer${layer}`,
    layerCode,
    layerCodeName: LAYER_CODE_NAMES[layout].get(layerCode),
    command: Number(v & l.commandMask),
    name: NAMES[layout].get(v),
    isEvent: (v & l.eventBit) !== 0n,
    onIface: (v & l.ifaceBit) !== 0n,
    sync: (v & l.syncBit) !== 0n,
  };
}

/** "NET_EVENT_IF_UP", or a description of the fields for a code no header names. */
export function eventName(code: bigint | number, layout: EventLayout = '64'): string {
  const d = decodeEventCode(code, layout);
  if (d.name) return d.name;
  return `NET_EVENT(${d.layerName}, ${d.layerCodeName ?? `0x${d.layerCode.toString(16)}`}, cmd 0x${d.command.toString(16)})`;
}

/**
 * The layout a board uses, from the Zephyr version in its HELLO ("4.1.99", "3.7.0"): 64-bit codes
 * from 4.1.99 (the development tree that became 4.2) on, 32-bit before.
 */
export function layoutForZephyrVersion(version: string): EventLayout {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return '64';
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  const n = maj * 1_000_000 + min * 1_000 + patch;
  return n >= 4_001_099 ? '64' : '32';
}

/**
 * Zephyr's callback match (subsys/net/ip/net_mgmt.c): same layer, same layer code, and the
 * command fields overlap (a zero command on either side matches any). With 3.7's numbered
 * commands this lets through events the mask did not name; see matchesExactly.
 */
export function zephyrMaskMatches(event: bigint, mask: bigint, layout: EventLayout = '64'): boolean {
  const e = decodeEventCode(event, layout);
  const m = decodeEventCode(mask, layout);
  if (e.layer !== m.layer || e.layerCode !== m.layerCode) return false;
  const ec = BigInt(e.command);
  const mc = BigInt(m.command);
  return ec === 0n || mc === 0n || (ec & mc) !== 0n;
}

/**
 * The host's exact match, no false positives: same layer and layer code, and either the mask's
 * command is 0 (every command of that layer code, as in Zephyr) or the event's command is one the
 * mask names: '64' one of the mask's one-hot bits (every bit of the event's command in the mask);
 * '32' equal to the mask's command (a 3.7 mask names one command; pass several masks for more).
 */
export function matchesExactly(event: bigint, mask: bigint, layout: EventLayout = '64'): boolean {
  const e = decodeEventCode(event, layout);
  const m = decodeEventCode(mask, layout);
  if (e.layer !== m.layer || e.layerCode !== m.layerCode) return false;
  const ec = BigInt(e.command);
  const mc = BigInt(m.command);
  if (mc === 0n) return true;
  if (ec === 0n) return false;
  return layout === '64' ? (ec & mc) === ec : ec === mc;
}

/**
 * Folds masks into at most `limit` for the board's filter (a superset: the host filters exactly).
 * Masks of one layer and layer code merge: '64' ORs their commands, '32' widens to command 0 (all).
 * Returns undefined when even one mask per layer code exceeds the limit.
 */
export function foldMasks(masks: readonly bigint[], limit: number, layout: EventLayout = '64'): bigint[] | undefined {
  const distinct = [...new Set(masks)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (distinct.length <= limit) return distinct;
  const l = LAYOUTS[layout];
  const groups = new Map<bigint, bigint>();
  for (const m of distinct) {
    const key = m & ~l.commandMask & ~l.ifaceBit;
    const prev = groups.get(key);
    if (prev === undefined) {
      groups.set(key, m);
      continue;
    }
    const pc = prev & l.commandMask;
    const mc = m & l.commandMask;
    const cmd = pc === 0n || mc === 0n ? 0n : layout === '64' ? pc | mc : pc === mc ? pc : 0n;
    groups.set(key, (prev & ~l.commandMask) | (m & l.ifaceBit) | cmd);
  }
  const folded = [...groups.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return folded.length <= limit ? folded : undefined;
}

/**
 * A mask written with the 64-bit constants, in the board's layout: itself for '64'; for '32' the
 * same layer code and commands by name, one 3.7 mask per named command (3.7 commands are numbers,
 * so a union needs several masks). Codes already in 32-bit form (below 2^32) pass unchanged.
 */
export function masksForLayout(mask: bigint, layout: EventLayout): bigint[] {
  if (layout === '64' || mask < 1n << 32n) return [mask];
  const d = decodeEventCode(mask, '64');
  const family = FAMILIES.find((f) => f.layer === d.layer && f.code64 === d.layerCode);
  if (!family) throw new RangeError(`${eventName(mask)} has no Zephyr 3.7 equivalent this library knows`);
  const base = { layer: d.layer, layerCode: family.code32, onIface: d.onIface, sync: d.sync, event: d.isEvent };
  if (d.command === 0) return [composeEventCode({ ...base, command: 0 }, '32')];
  const out: bigint[] = [];
  const cmds32 = familyCommands(family, '32');
  family.commands.forEach((name, i) => {
    if ((BigInt(d.command) >> BigInt(i)) & 1n) {
      const j = cmds32.indexOf(name);
      if (j === -1) throw new RangeError(`NET_EVENT_${name} does not exist in Zephyr 3.7`);
      out.push(composeEventCode({ ...base, command: j + 1 }, '32'));
    }
  });
  if (out.length === 0) throw new RangeError(`${eventName(mask)} names no command this library knows`);
  return out;
}
