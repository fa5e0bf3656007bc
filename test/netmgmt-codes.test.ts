import { describe, expect, it } from 'vitest';
import {
  NET_EVENT_CONN_IF_TIMEOUT,
  NET_EVENT_COAP_SERVICE_STARTED,
  NET_EVENT_ETHERNET_CARRIER_ON,
  NET_EVENT_HOSTNAME_CHANGED,
  NET_EVENT_IF_ADMIN_UP,
  NET_EVENT_IF_DOWN,
  NET_EVENT_IF_UP,
  NET_EVENT_IPV4_ADDR_ADD,
  NET_EVENT_IPV4_ADDR_DEL,
  NET_EVENT_IPV4_MADDR_ADD,
  NET_EVENT_IPV6_ADDR_ADD,
  NET_EVENT_IPV6_PMTU_CHANGED,
  NET_EVENT_L4_CONNECTED,
  NET_EVENT_WIFI_AP_STA_CONNECTED,
  NET_EVENT_WIFI_SCAN_RESULT,
  composeEventCode,
  decodeEventCode,
  eventCodes,
  eventName,
  foldMasks,
  formatAddress,
  isLinkLocal,
  layoutForZephyrVersion,
  masksForLayout,
  matchesExactly,
  parseAddress,
  zephyrMaskMatches,
} from '../src/index.js';

// Values worked out by hand from the headers (see the comment on each), not from the code under test.
describe('64-bit layout (Zephyr >= 4.1.99)', () => {
  it.each([
    // EVENT 1<<63 | IFACE 1<<62 | LAYER(L2=1) 1<<60 | LAYER_CODE(IFACE=1) 1<<52 | BIT64(UP_VAL=1)
    ['NET_EVENT_IF_UP', NET_EVENT_IF_UP, 0xd010000000000002n],
    ['NET_EVENT_IF_DOWN', NET_EVENT_IF_DOWN, 0xd010000000000001n],
    // LAYER(L3=2) 2<<60, LAYER_CODE(IPV4=3) 3<<52, BIT64(0)
    ['NET_EVENT_IPV4_ADDR_ADD', NET_EVENT_IPV4_ADDR_ADD, 0xe030000000000001n],
    // LAYER_CODE(IPV6=4), PMTU_CHANGED_VAL = 24
    ['NET_EVENT_IPV6_PMTU_CHANGED', NET_EVENT_IPV6_PMTU_CHANGED, 0xe040000001000000n],
    // LAYER(L4=3) 3<<60, LAYER_CODE(L4=5) 5<<52
    ['NET_EVENT_L4_CONNECTED', NET_EVENT_L4_CONNECTED, 0xf050000000000001n],
    ['NET_EVENT_HOSTNAME_CHANGED', NET_EVENT_HOSTNAME_CHANGED, 0xf050000000000100n],
    // NET_COAP_IF_BASE has no IFACE bit; LAYER_CODE(COAP=6)
    ['NET_EVENT_COAP_SERVICE_STARTED', NET_EVENT_COAP_SERVICE_STARTED, 0xb060000000000001n],
    // LAYER_CODE(WIFI=0x0d)
    ['NET_EVENT_WIFI_SCAN_RESULT', NET_EVENT_WIFI_SCAN_RESULT, 0xd0d0000000000001n],
    // LAYER_CODE(CONN=2)
    ['NET_EVENT_CONN_IF_TIMEOUT', NET_EVENT_CONN_IF_TIMEOUT, 0xd020000000000001n],
    // LAYER_CODE(ETHERNET=9)
    ['NET_EVENT_ETHERNET_CARRIER_ON', NET_EVENT_ETHERNET_CARRIER_ON, 0xd090000000000001n],
  ])('%s = the header value', (name, value, expected) => {
    expect(value).toBe(expected);
    expect(eventName(expected)).toBe(name);
  });

  it('decodes layer, layer code, command and flags', () => {
    expect(decodeEventCode(NET_EVENT_IPV6_ADDR_ADD)).toEqual({
      layer: 2,
      layerName: 'L3',
      layerCode: 4,
      layerCodeName: 'IPV6',
      command: 1,
      name: 'NET_EVENT_IPV6_ADDR_ADD',
      isEvent: true,
      onIface: true,
      sync: false,
    });
    const coap = decodeEventCode(NET_EVENT_COAP_SERVICE_STARTED);
    expect(coap.onIface).toBe(false);
    expect(coap.layerName).toBe('L4');
    const sync = decodeEventCode(NET_EVENT_IF_UP | (1n << 59n));
    expect(sync.sync).toBe(true);
    expect(sync.name).toBeUndefined(); // not exactly a named event any more
  });

  it('names codes no header declares by their fields', () => {
    const code = composeEventCode({ layer: 1, layerCode: 0x7e, command: 1n << 3n, onIface: true });
    expect(eventName(code)).toBe('NET_EVENT(L2, USER1, cmd 0x8)');
  });

  it('has every command one-hot and every code unique', () => {
    const table = eventCodes('64');
    const values = Object.values(table);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) {
      const cmd = BigInt(decodeEventCode(v).command);
      expect(cmd & (cmd - 1n)).toBe(0n);
    }
    expect(Object.keys(table).length).toBeGreaterThanOrEqual(90);
  });
});

describe('32-bit layout (Zephyr 3.7)', () => {
  const t = eventCodes('32');
  it.each([
    // EVENT 1<<31 | IFACE 1<<30 | LAYER(L2) 1<<28 | _NET_IF_CORE_CODE 0x001 <<16 | CMD_UP = 2
    ['NET_EVENT_IF_UP', 0xd0010002n],
    // LAYER(L3) 2<<28 | _NET_IPV4_CORE_CODE 0x004 << 16 | ADDR_ADD = 1
    ['NET_EVENT_IPV4_ADDR_ADD', 0xe0040001n],
    // _NET_IPV6_CORE_CODE 0x060, ADDR_DEL = 2
    ['NET_EVENT_IPV6_ADDR_DEL', 0xe0600002n],
    // LAYER(L4) 3<<28 | _NET_L4_CORE_CODE 0x114 << 16 | CONNECTED = 1
    ['NET_EVENT_L4_CONNECTED', 0xf1140001n],
    ['NET_EVENT_HOSTNAME_CHANGED', 0xf1140009n],
    // _NET_ETHERNET_CODE 0x208
    ['NET_EVENT_ETHERNET_CARRIER_ON', 0xd2080001n],
    // _NET_WIFI_CODE 0x156; 3.7 has no SIGNAL_CHANGE / NEIGHBOR_REP: AP_STA_CONNECTED is the 12th
    ['NET_EVENT_WIFI_AP_STA_CONNECTED', 0xd156000cn],
  ])('%s = 0x%s', (name, expected) => {
    expect(t[name]).toBe(expected);
    expect(eventName(expected, '32')).toBe(name);
  });

  it('decodes 11-bit layer codes and numbered commands', () => {
    expect(decodeEventCode(0xf1140009n, '32')).toMatchObject({ layer: 3, layerCode: 0x114, layerCodeName: 'L4', command: 9, onIface: true });
  });

  it('has no VPN events (added after 3.7)', () => {
    expect(t.NET_EVENT_VPN_CONNECTED).toBeUndefined();
    expect(eventCodes('64').NET_EVENT_VPN_CONNECTED).toBeDefined();
  });

  it('translates 64-bit masks into 3.7 masks by name, one per command', () => {
    expect(masksForLayout(NET_EVENT_IF_UP, '32')).toEqual([0xd0010002n]);
    expect(masksForLayout(NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL, '32')).toEqual([0xe0040001n, 0xe0040002n]);
    expect(masksForLayout(NET_EVENT_WIFI_AP_STA_CONNECTED, '32')).toEqual([0xd156000cn]);
    expect(masksForLayout(0xd0010002n, '32')).toEqual([0xd0010002n]); // already 32-bit
    expect(() => masksForLayout(eventCodes('64').NET_EVENT_VPN_CONNECTED as bigint, '32')).toThrow(/3\.7/);
    expect(masksForLayout(NET_EVENT_IF_UP, '64')).toEqual([NET_EVENT_IF_UP]);
  });
});

describe('layout from the Zephyr version', () => {
  it.each([
    ['4.1.99', '64'],
    ['4.2.0', '64'],
    ['5.0.0', '64'],
    ['4.1.0', '32'],
    ['3.7.0', '32'],
    ['3.7.99', '32'],
  ])('%s -> %s', (v, layout) => expect(layoutForZephyrVersion(v)).toBe(layout));
});

describe('mask semantics', () => {
  it("Zephyr's match: layer and code exact, commands overlap, 0 means all", () => {
    const ifAny = composeEventCode({ layer: 1, layerCode: 1, command: 0, onIface: true });
    expect(zephyrMaskMatches(NET_EVENT_IF_UP, NET_EVENT_IF_UP | NET_EVENT_IF_DOWN)).toBe(true);
    expect(zephyrMaskMatches(NET_EVENT_IF_ADMIN_UP, NET_EVENT_IF_UP | NET_EVENT_IF_DOWN)).toBe(false);
    expect(zephyrMaskMatches(NET_EVENT_IF_ADMIN_UP, ifAny)).toBe(true);
    expect(zephyrMaskMatches(NET_EVENT_IPV6_ADDR_ADD, NET_EVENT_IPV4_ADDR_ADD)).toBe(false); // same command bit, other code
    expect(zephyrMaskMatches(NET_EVENT_L4_CONNECTED, NET_EVENT_IF_DOWN)).toBe(false); // other layer
  });

  it('3.7 numbered commands give Zephyr false positives; the host match has none', () => {
    const t = eventCodes('32');
    const maddrAdd = t.NET_EVENT_IPV4_MADDR_ADD as bigint; // command 3 = 0b11
    const addrAdd = t.NET_EVENT_IPV4_ADDR_ADD as bigint; // command 1
    expect(zephyrMaskMatches(maddrAdd, addrAdd, '32')).toBe(true);
    expect(matchesExactly(maddrAdd, addrAdd, '32')).toBe(false);
    expect(matchesExactly(addrAdd, addrAdd, '32')).toBe(true);
  });

  it('64-bit exact match: the event command must be one the mask names', () => {
    const mask = NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL;
    expect(matchesExactly(NET_EVENT_IPV4_ADDR_DEL, mask)).toBe(true);
    expect(matchesExactly(NET_EVENT_IPV4_MADDR_ADD, mask)).toBe(false);
    // An event code with two command bits is not "named" by a mask holding only one of them.
    expect(matchesExactly(NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_MADDR_ADD, NET_EVENT_IPV4_ADDR_ADD)).toBe(false);
    expect(matchesExactly(NET_EVENT_IF_UP, composeEventCode({ layer: 1, layerCode: 1, command: 0 }))).toBe(true);
  });

  it('folds masks into the board slots: 64-bit ORs commands, 32-bit widens to all', () => {
    const masks = [NET_EVENT_IF_UP, NET_EVENT_IF_DOWN, NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_L4_CONNECTED];
    expect(foldMasks(masks, 4)).toHaveLength(4);
    const folded = foldMasks(masks, 3) as bigint[];
    expect(folded).toHaveLength(3);
    expect(folded).toContain(NET_EVENT_IF_UP | NET_EVENT_IF_DOWN);
    // Every original mask's events still pass the folded filter.
    for (const m of masks) expect(folded.some((f) => zephyrMaskMatches(m, f))).toBe(true);
    const t = eventCodes('32');
    const f32 = foldMasks([t.NET_EVENT_IF_UP as bigint, t.NET_EVENT_IF_DOWN as bigint], 1, '32') as bigint[];
    expect(f32).toEqual([0xd0010000n]);
    expect(foldMasks(masks, 2)).toBeUndefined(); // three layer codes cannot fit in two slots
  });
});

describe('addresses', () => {
  it.each([
    ['192.0.2.1', [192, 0, 2, 1]],
    ['2001:db8::1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['::', Array(16).fill(0)],
    ['::ffff:192.0.2.1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]],
  ])('%s <-> bytes', (text, bytes) => {
    const p = parseAddress(text);
    expect(Array.from(p.bytes)).toEqual(bytes);
    expect(parseAddress(formatAddress(p.bytes)).bytes).toEqual(p.bytes);
  });

  it('formats IPv6 per RFC 5952 and reads prefix lengths', () => {
    expect(formatAddress(parseAddress('2001:0DB8:0:0:1:0:0:1').bytes)).toBe('2001:db8::1:0:0:1');
    expect(formatAddress(parseAddress('fe80:0:0:0:0:0:0:1').bytes)).toBe('fe80::1');
    expect(formatAddress(parseAddress('2001:db8:0:1:1:1:1:1').bytes)).toBe('2001:db8:0:1:1:1:1:1');
    expect(parseAddress('10.0.2.15/24')).toMatchObject({ family: 4, prefixLen: 24 });
    expect(parseAddress('2001:db8::/64').prefixLen).toBe(64);
  });

  it('refuses what is not an address with a typed error', () => {
    for (const bad of ['300.1.1.1', 'eth0', '1.2.3.4/33', '::1/129', 'fe80::1%eth0', '']) {
      expect(() => parseAddress(bad), bad).toThrow(expect.objectContaining({ code: 'NB_EINVAL_ADDRESS' }));
    }
    expect(() => parseAddress(new Uint8Array(5))).toThrow(expect.objectContaining({ code: 'NB_EINVAL_ADDRESS' }));
  });

  it('knows link-local addresses', () => {
    expect(isLinkLocal(parseAddress('fe80::1').bytes)).toBe(true);
    expect(isLinkLocal(parseAddress('febf::1').bytes)).toBe(true);
    expect(isLinkLocal(parseAddress('fec0::1').bytes)).toBe(false);
    expect(isLinkLocal(parseAddress('169.254.3.4').bytes)).toBe(true);
    expect(isLinkLocal(parseAddress('10.0.2.15').bytes)).toBe(false);
  });
});
