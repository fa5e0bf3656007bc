/** CLI pieces that need no board: option parsing, error lines, colour rules, formatting. */
import { describe, expect, it } from 'vitest';
import { CliError, EXIT, UsageError, exitCodeOf, formatError } from '../src/cli/errors.js';
import { formatDuration, formatInfo, formatPorts, formatTable, type InfoReport } from '../src/cli/format.js';
import { codeHex, defaultMasks, eventJson, eventMasks, formatEventLine, formatIfaces, overrunJson } from '../src/cli/netformat.js';
import { parseBaud, parseDuration, parsePortSpec, resolvePort } from '../src/cli/options.js';
import { listSerialPorts } from '../src/cli/commands/ports.js';
import { checkQemuTarget, innerArgv } from '../src/cli/commands/qemu.js';
import { makeCtx } from '../src/cli/context.js';
import { colorEnabled, makeStyle, stripAnsi } from '../src/cli/style.js';
import { PortError } from '../src/errors.js';
import { NET_EVENT_IF_UP, NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV4_DHCP_BOUND, composeEventCode, decodeEventCode } from '../src/netmgmt/codes.js';
import type { NetEvent } from '../src/netmgmt/netmgmt.js';
import type { NetInterface } from '../src/netmgmt/bodies.js';
import { PassThrough } from 'node:stream';
import { parseNcArgs } from '../src/cli/commands/nc.js';
import { buildProgram, mergedOptions } from '../src/cli/main.js';
import type { Command } from 'commander';

describe('option values', () => {
  it('parses durations in ms and s and rejects the rest as usage errors', () => {
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    for (const bad of ['', 'abc', '-1', '0', '5m', '2h']) expect(() => parseDuration(bad), bad).toThrow(UsageError);
  });

  it('parses baud rates within bounds', () => {
    expect(parseBaud('921600')).toBe(921600);
    expect(() => parseBaud('9600.5')).toThrow(UsageError);
    expect(() => parseBaud('1')).toThrow(/between/);
  });

  it('takes a device path or tcp:HOST:PORT', () => {
    expect(parsePortSpec('/dev/ttyACM0')).toEqual({ kind: 'serial', path: '/dev/ttyACM0' });
    expect(parsePortSpec('tcp:localhost:4000')).toEqual({ kind: 'tcp', host: 'localhost', port: 4000 });
    expect(parsePortSpec('tcp:[::1]:4000')).toEqual({ kind: 'tcp', host: '::1', port: 4000 });
    expect(() => parsePortSpec('tcp:localhost')).toThrow(UsageError);
    expect(() => parsePortSpec('tcp:h:70000')).toThrow(/range/);
  });

  it('falls back to $NETBRIDGE_PORT and says how to find a port otherwise', () => {
    expect(resolvePort({}, { NETBRIDGE_PORT: '/dev/ttyUSB1' })).toEqual({ kind: 'serial', path: '/dev/ttyUSB1' });
    expect(resolvePort({ port: '/dev/a' }, { NETBRIDGE_PORT: '/dev/b' })).toEqual({ kind: 'serial', path: '/dev/a' });
    expect(() => resolvePort({}, {})).toThrow(/netbridge ports/);
  });
});

describe('errors', () => {
  it('is one line with the stable code, the stack only when verbose', () => {
    const err = new PortError('cannot open /dev/x: No such file\nmore detail', { cause: new Error('ENOENT') });
    const line = formatError(err, false);
    expect(line).toBe('netbridge: cannot open /dev/x: No such file (NB_PORT)');
    const verbose = formatError(err, true);
    expect(verbose.split('\n').length).toBeGreaterThan(3);
    expect(verbose).toContain('caused by:');
    expect(verbose).toContain('ENOENT');
  });

  it('maps errors to exit statuses: usage 2, others 1', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(EXIT.usage);
    expect(exitCodeOf(new CliError('NB_X', 'x'))).toBe(EXIT.failure);
    expect(exitCodeOf(new Error('x'))).toBe(EXIT.failure);
  });
});

describe('colour', () => {
  it('only on a TTY, never with a non-empty NO_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('never styles --json output even on a TTY', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const io = { stdout: tty, stderr: tty, stdin: new PassThrough(), env: {} };
    const g = { baud: 115200, timeout: 1000, verbose: false };
    expect(makeCtx(io, { ...g, json: false }).out.enabled).toBe(true);
    expect(makeCtx(io, { ...g, json: true }).out.enabled).toBe(false);
    expect(makeStyle(true).red('x')).not.toBe('x');
    expect(stripAnsi(makeStyle(true).red('x'))).toBe('x');
  });
});

describe('tables', () => {
  it('aligns columns, ignoring colour codes in widths', () => {
    const red = makeStyle(true).red;
    const lines = formatTable(['A', 'LONGER'], [[red('xx'), '1'], ['y', '22']]);
    expect(lines.map(stripAnsi)).toEqual(['A   LONGER', 'xx  1', 'y   22']);
  });

  it('formats durations for humans', () => {
    expect(formatDuration(12)).toBe('12 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_720_000)).toBe('1 h 2 min');
  });

  it('marks ports that answered the handshake', () => {
    const base = { manufacturer: null, serialNumber: null, vendorId: null, productId: null };
    const lines = formatPorts([
      { ...base, path: '/dev/ttyACM0', vendorId: '2fe3', productId: '0100', netbridge: { board: 'frdm_k64f', firmwareVersion: '0.1.0', bootId: '00' }, probeError: null },
      { ...base, path: '/dev/ttyS0', netbridge: null, probeError: 'timeout' },
    ]);
    expect(lines[1]).toMatch(/^\*\s+\/dev\/ttyACM0\s+2fe3:0100\s+-\s+frdm_k64f fw 0\.1\.0$/);
    expect(lines[2]).toMatch(/^\s+\/dev\/ttyS0\s+.*no answer$/);
    expect(formatPorts([])).toEqual(['no serial ports found']);
  });

  it('shows handshake facts, limits and both ends\' counters', () => {
    const report: InfoReport = {
      port: '/dev/pts/3',
      info: {
        version: 1, schemaHash: '0011223344556677', mtu: 1024, window: 8, features: ['events', 'sockets'], featureBits: 3,
        board: 'mps2/an385', zephyrVersion: '4.1.99', firmwareVersion: '0.1.0', bootId: 'aabbccddeeff0011',
        limits: { maxSockets: 8, maxSubscriptions: 4, eventQueue: 16, txQueue: 8, rxBuffer: 2048 }, uptimeMs: 61_000,
      },
      host: { framesIn: 5, framesOut: 6, retransmits: 1 } as InfoReport['host'],
      board: null,
      boardError: 'board error EOPNOTSUPP',
    };
    const text = formatInfo(report).join('\n');
    expect(text).toMatch(/^board\s+mps2\/an385$/m);
    expect(text).toMatch(/^firmware\s+0\.1\.0 \(Zephyr 4\.1\.99\)$/m);
    expect(text).toMatch(/^boot id\s+aabbccddeeff0011 \(up 1 min 1 s\)$/m);
    expect(text).toContain('sockets 8, subscriptions 4, event queue 16');
    expect(text).toContain('framesIn 5, framesOut 6, retransmits 1');
    expect(text).toMatch(/^board link\s+unavailable \(board error EOPNOTSUPP\)$/m);
  });
});

const iface: NetInterface = {
  index: 1, name: 'eth0', l2: 'ETHERNET', mtu: 1500, flags: 0b1011, up: true, operUp: true, loopback: false,
  linkAddress: '00:00:5e:00:53:01',
  addresses: [{ family: 4, address: '10.0.2.15', prefixLen: 24, state: 'preferred', origin: 'dhcp', lifetime: 86400 }],
  dnsServers: [], hostname: 'netbridge',
};

describe('net_mgmt output', () => {
  it('tabulates interfaces with their addresses', () => {
    const lines = formatIfaces([iface, { ...iface, index: 2, name: 'lo0', l2: 'DUMMY', up: false, addresses: [] }]);
    expect(lines[0]).toMatch(/^IDX\s+NAME\s+L2\s+MTU\s+STATE\s+LINK ADDRESS\s+ADDRESSES$/);
    expect(lines[1]).toMatch(/^1\s+eth0\s+ETHERNET\s+1500\s+up\s+00:00:5e:00:53:01\s+10\.0\.2\.15\/24 \(dhcp\)$/);
    expect(lines[2]).toMatch(/^2\s+lo0\s+DUMMY\s+1500\s+down\s+.*-$/);
  });

  const ev: NetEvent = {
    code: NET_EVENT_IPV4_ADDR_ADD, name: 'NET_EVENT_IPV4_ADDR_ADD', layer: 2, layerCode: 3, command: 1,
    ifindex: 1, uptimeMs: 1234, info: { family: 4, address: '10.0.2.15', prefixLen: 24, lifetime: 86400 }, seq: 7,
  };

  it('gives each event one JSON object with the required fields', () => {
    const t = new Date('2025-06-01T12:00:00.000Z');
    const j = eventJson(ev, '64', t);
    expect(j).toMatchObject({ type: 'event', time: '2025-06-01T12:00:00.000Z', event: 'NET_EVENT_IPV4_ADDR_ADD', layer: 'L3', iface: 1, seq: 7 });
    expect(j.code).toBe(codeHex(NET_EVENT_IPV4_ADDR_ADD));
    expect(BigInt(j.code as string)).toBe(NET_EVENT_IPV4_ADDR_ADD);
    expect(j.info).toEqual(ev.info);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j); // no bigints or undefined left
    expect(eventJson({ ...ev, info: undefined }, '64', t).info).toBeNull();
  });

  it('names an event no header knows by its fields', () => {
    const code = composeEventCode({ layer: 2, layerCode: 3, command: 1n << 40n, onIface: true });
    const j = eventJson({ ...ev, code, name: undefined }, '64', new Date(0));
    expect(j.event).toBe('NET_EVENT(L3, IPV4, cmd 0x10000000000)');
  });

  it('prints a readable line per event', () => {
    const line = formatEventLine(ev, '64', new Date(2025, 5, 1, 9, 8, 7, 6));
    expect(line).toMatch(/^09:08:07\.006  IPV4_ADDR_ADD\s+iface 1  10\.0\.2\.15\/24 lifetime=86400$/);
  });

  it('reports overruns on the same stream', () => {
    expect(overrunJson({ what: 'events', whatCode: 1, count: 3, total: 9 }, new Date(0))).toEqual({
      type: 'overrun', time: '1970-01-01T00:00:00.000Z', what: 'events', count: 3, total: 9,
    });
  });

  it('turns --event names and prefixes into masks', () => {
    expect(eventMasks(['NET_EVENT_IF_UP'])).toEqual([NET_EVENT_IF_UP]);
    expect(eventMasks(['if_up', 'IF_UP'])).toEqual([NET_EVENT_IF_UP]);
    const dhcp = eventMasks(['IPV4_DHCP_*']);
    expect(dhcp).toContain(NET_EVENT_IPV4_DHCP_BOUND);
    expect(dhcp.length).toBe(3);
    expect(() => eventMasks(['IF_SIDEWAYS'])).toThrow(UsageError);
    expect(() => eventMasks(['DHCP_BOUND'])).toThrow(/did you mean NET_EVENT_IPV6_DHCP_BOUND, NET_EVENT_IPV4_DHCP_BOUND/);
  });

  it('watches whole families by default, no more than the board has slots', () => {
    const four = defaultMasks(4);
    expect(four.families).toEqual(['IF', 'IPV4', 'IPV6', 'L4']);
    for (const m of four.masks) expect(decodeEventCode(m).command).toBe(0);
    expect(defaultMasks(1).masks).toHaveLength(1);
    expect(defaultMasks(0).masks).toHaveLength(1);
  });
});

describe('ports and qemu plumbing', () => {
  it('says to install udev when udevadm is missing', async () => {
    const missing = () => Promise.reject(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' }));
    const err = await listSerialPorts(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe('NB_CLI_NO_UDEVADM');
    expect((err as CliError).message).toMatch(/apt-get install udev/);
  });

  it('runs the inner command with the bridge port and a boot-sized timeout', () => {
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} };
    const ctx = makeCtx(io, { baud: 115200, timeout: 2000, verbose: false, json: true });
    expect(innerArgv(ctx, '/dev/pts/9', [])).toEqual(['--port', '/dev/pts/9', '--baud', '115200', '--timeout', '15000', '--json', 'monitor']);
    expect(innerArgv(ctx, '/dev/pts/9', ['ifaces', '-i', '1']).slice(-3)).toEqual(['ifaces', '-i', '1']);
    expect(() => innerArgv(ctx, '/dev/pts/9', ['qemu'])).toThrow(UsageError);
    expect(checkQemuTarget('native_sim')).toBe('native_sim');
    expect(() => checkQemuTarget('esp32')).toThrow(/known: mps2\/an385/);
  });
});

describe('argument forms', () => {
  const o = { listen: false, udp: false, halfClose: false };
  it('nc takes HOST PORT, and with -l PORT or HOST PORT', () => {
    expect(parseNcArgs(['example.com', '80'], o)).toEqual({ listen: false, udp: false, halfClose: false, host: 'example.com', port: 80 });
    expect(parseNcArgs(['7000'], { ...o, listen: true })).toMatchObject({ listen: true, host: undefined, port: 7000 });
    expect(parseNcArgs(['::', '7000'], { ...o, listen: true, udp: true })).toMatchObject({ udp: true, host: '::', port: 7000 });
    expect(() => parseNcArgs(['7000'], o)).toThrow(UsageError);
    expect(() => parseNcArgs(['h', '0'], o)).toThrow(/1\.\.65535/);
    expect(() => parseNcArgs(['h', '1', '2'], o)).toThrow(UsageError);
  });

  it('global options count wherever they are given, and a given value beats a default', async () => {
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} };
    const seen: ReturnType<typeof mergedOptions>[] = [];
    const parse = async (argv: string[]) => {
      const program = buildProgram(io, () => {});
      const info = program.commands.find((c) => c.name() === 'info') as Command;
      info.action((_o: unknown, cmd: Command) => void seen.push(mergedOptions(cmd)));
      await program.parseAsync(argv, { from: 'user' });
      return seen.at(-1);
    };
    expect(await parse(['info', '--json', '-p', '/dev/a'])).toMatchObject({ json: true, port: '/dev/a', timeout: 5000 });
    expect(await parse(['--json', '--timeout', '2s', 'info'])).toMatchObject({ json: true, timeout: 2000 });
    expect(await parse(['--timeout', '2s', 'info', '--timeout', '3s'])).toMatchObject({ timeout: 3000 });
    expect(await parse(['info'])).toMatchObject({ json: false, verbose: false, baud: 115200 });
  });
});
