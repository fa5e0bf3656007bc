/**
 * The netbridge CLI against the target, run as a user runs it: `node bin/netbridge.js --port <bridge>`
 * in a child process, output parsed, exit statuses checked. The bridge UART takes one process at a
 * time, so this file never opens a Client of its own: events are raised through the console.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/workspace.js';
import { hil, type Hil } from '../lib/suite.js';

const bin = path.join(repoRoot, 'bin', 'netbridge.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Watch {
  stdout: string;
  stderr: string;
  kill(signal: NodeJS.Signals): void;
}

function cli(args: string[], opts: { onOutput?: (w: Watch) => void; timeoutMs?: number; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    const w: Watch = { stdout: '', stderr: '', kill: (s) => child.kill(s) };
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 40_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      w.stdout += d;
      opts.onOutput?.(w);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      w.stderr += d;
      opts.onOutput?.(w);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ code, signal, stdout: w.stdout, stderr: w.stderr }), 20);
    });
  });
}

const jsonLines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

interface Iface {
  index: number;
  name: string;
  l2: string;
  up: boolean;
  loopback: boolean;
  flagNames: string[];
  addresses: { family: number; address: string }[];
}

describe('netbridge CLI on the target', () => {
  let h: Hil;
  let port: string[];
  beforeAll(async () => {
    h = await hil();
    port = ['--port', h.bridgePath, '--baud', String(h.baudRate), '--timeout', '15s'];
  });
  afterAll(() => h?.control?.close());

  it('info --json reports the board the build was made for', async () => {
    const r = await cli(['info', '--json', ...port]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [j, ...rest] = jsonLines(r.stdout) as { info: { board: string; zephyrVersion: string; bootId: string }; host: { framesIn: number } }[];
    expect(rest).toHaveLength(0);
    expect(j?.info.bootId).toMatch(/^[0-9a-f]{16}$/);
    expect(j?.host.framesIn).toBeGreaterThan(0);
    if (h.expect) {
      expect(j?.info.board).toBe(h.expect.board);
      expect(j?.info.zephyrVersion).toBe(h.expect.zephyrVersion);
    }
  });

  it('ifaces --json lists the interfaces, one object per line', async () => {
    // A freshly booted QEMU board gets its DHCP lease some seconds after boot: ask again until an
    // IPv4 address shows (bounded), each answer checked the same way.
    const hasV4 = (list: Iface[]) => list.some((i) => i.addresses.some((a) => a.family === 4));
    const deadline = Date.now() + 40_000; // DHCP waits up to NET_DHCPV4_INITIAL_DELAY_MAX (10 s) before it asks
    let r = await cli(['ifaces', '--json', ...port]);
    while (r.code === 0 && !hasV4(jsonLines(r.stdout) as unknown as Iface[]) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      r = await cli(['ifaces', '--json', ...port]);
    }
    expect(r.code).toBe(0);
    const ifs = jsonLines(r.stdout) as unknown as Iface[];
    expect(ifs.length).toBeGreaterThan(0);
    for (const i of ifs) {
      expect(i.index).toBeGreaterThan(0);
      expect(typeof i.name).toBe('string');
      expect(Array.isArray(i.addresses)).toBe(true);
    }
    // every emulated target has an interface with an IPv4 address (QEMU: DHCP lease or static; native_sim: loopback)
    expect(hasV4(ifs)).toBe(true);
  });

  /**
   * Raises two events the monitor must print in order: from the board's shell (IPV4_ADDR_ADD, then
   * IPV4_ADDR_DEL) when the console answers, else by cutting and restoring the link from the
   * emulator (IF_DOWN, IF_UP) when the board's driver sees carrier changes.
   */
  it('monitor --json prints the events the board raises, and exits 130 on Ctrl-C', async (ctx) => {
    const control = h.control;
    if (!control) return ctx.skip(`${h.target}: no control channel`);
    const ifs = jsonLines((await cli(['ifaces', '--json', ...port])).stdout) as unknown as (Iface & { operUp: boolean })[];
    const iface = ifs.find((i) => i.flagNames.includes('IPV4') && !i.loopback) ?? ifs.find((i) => i.flagNames.includes('IPV4')) ?? ifs[0];
    if (!iface) throw new Error('no interface to raise events on');
    const addr = '192.0.2.77';
    let consoleAnswers = false;
    if (h.describe.hasConsole) {
      const mark = await control.consoleMark();
      await control.consoleWrite('\n');
      consoleAnswers = await control.consoleWaitFor(/\S/, 3000, mark).then(() => true, () => false);
    }
    let viaLink = false;
    if (!consoleAnswers && h.describe.canSetLink) {
      await control.setLink(false);
      await new Promise((r) => setTimeout(r, 1000));
      const after = jsonLines((await cli(['ifaces', '--json', ...port])).stdout) as unknown as (Iface & { operUp: boolean })[];
      await control.setLink(true);
      viaLink = after.find((i) => i.index === iface.index)?.operUp === false;
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (!consoleAnswers && !viaLink) {
      return ctx.skip(`${h.target}: the console is silent and the board does not see a link cut: no way to raise events from outside`);
    }
    const steps = viaLink
      ? { events: ['IF_DOWN', 'IF_UP'], first: () => control.setLink(false), second: () => control.setLink(true) }
      : {
          events: ['IPV4_ADDR_ADD', 'IPV4_ADDR_DEL'],
          first: () => control.consoleWrite(`net ipv4 add ${iface.index} ${addr} 255.255.255.0\n`),
          second: () => control.consoleWrite(`net ipv4 del ${iface.index} ${addr}\n`),
        };
    const [firstEvent, secondEvent] = steps.events.map((e) => `NET_EVENT_${e}`) as [string, string];
    let stage = 0;
    try {
      const r = await cli(['monitor', '--json', '--verbose', ...steps.events.flatMap((e) => ['--event', e]), ...port], {
        timeoutMs: 30_000,
        onOutput: (w) => {
          // --verbose says on stderr when the board's subscription is in place
          if (stage === 0 && w.stderr.includes('subscribed; waiting for events')) {
            stage = 1;
            void steps.first();
          } else if (stage === 1 && w.stdout.includes(firstEvent)) {
            stage = 2;
            void steps.second();
          } else if (stage === 2 && w.stdout.includes(secondEvent)) {
            stage = 3;
            w.kill('SIGINT');
          }
        },
      });
      expect(stage, `reached stage ${stage} of 3; stderr: ${r.stderr.slice(-500)}`).toBe(3);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(130);
      const events = jsonLines(r.stdout).filter((o) => o.type === 'event' && o.iface === iface.index);
      expect(events.map((e) => e.event)).toEqual([firstEvent, secondEvent]);
      for (const e of events) {
        expect(e).toMatchObject({ layer: viaLink ? 'L2' : 'L3', iface: iface.index });
        expect(e.code).toMatch(/^0x[0-9a-f]{16}$/);
        expect(Date.parse(e.time as string)).not.toBeNaN();
        if (!viaLink) expect((e.info as { address?: string } | null)?.address).toBe(addr);
      }
    } finally {
      if (viaLink) await control.setLink(true);
    }
  });

  it('ports marks the bridge UART as a netbridge board (a pty is named, udev does not list it)', async () => {
    const r = await cli(['ports', h.bridgePath, '--json', '--probe-timeout', '5s']);
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout) as { path: string; netbridge: { board: string; bootId: string } | null }[];
    const bridge = rows.find((p) => p.path === h.bridgePath);
    expect(bridge?.netbridge?.bootId).toMatch(/^[0-9a-f]{16}$/);
    if (h.expect) expect(bridge?.netbridge?.board).toBe(h.expect.board);
  });

  it('the port is free again after each command: two in a row both succeed', async () => {
    const a = await cli(['info', '--json', ...port]);
    const b = await cli(['info', '--json', ...port]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const bootA = (jsonLines(a.stdout)[0] as { info: { bootId: string } }).info.bootId;
    const bootB = (jsonLines(b.stdout)[0] as { info: { bootId: string } }).info.bootId;
    expect(bootB).toBe(bootA);
  });

  it('a bad port fails with one line and a non-zero status', async () => {
    const r = await cli(['info', '--port', `${h.bridgePath}-missing`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^netbridge: .*\(NB_PORT\)$/m);
  });

  it('nc carries stdin to a host TCP server through the board and its reply back, exit 0', async (ctx) => {
    const info = jsonLines((await cli(['info', '--json', ...port])).stdout)[0] as { info: { features: string[] } };
    if (!info.info.features.includes('sockets')) ctx.skip(`${h.target}: the firmware does not offer sockets`);
    if (h.target === 'native_sim' || h.target.startsWith('port:')) ctx.skip(`${h.target}: no known route from the board to this host`);
    // QEMU user networking: the board reaches the host's 127.0.0.1 as 10.0.2.2
    const server = createServer((s) => {
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.endsWith('\n')) s.end(`echo:${got}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hostPort = (server.address() as { port: number }).port;
    try {
      const r = await cli(['nc', '10.0.2.2', String(hostPort), ...port], { stdin: 'hello board\n' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('echo:hello board\n');
    } finally {
      server.close();
    }
  });

  it('nc to a closed port fails with one line and status 1', async (ctx) => {
    const info = jsonLines((await cli(['info', '--json', ...port])).stdout)[0] as { info: { features: string[] } };
    if (!info.info.features.includes('sockets')) ctx.skip(`${h.target}: the firmware does not offer sockets`);
    const r = await cli(['nc', '127.0.0.1', '9', ...port], { stdin: '' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH/);
  });

  // Last in this file's board tests: the board reboots.
  it('monitor reports a board reboot as a resync on the same stream and keeps going', async (ctx) => {
    const control = h.control;
    if (!control || h.describe.resetKind !== 'external') return ctx.skip(`${h.target}: the runner cannot reset this board from outside`);
    let stage = 0;
    const r = await cli(['monitor', '--json', '--verbose', ...port], {
      timeoutMs: 60_000,
      onOutput: (w) => {
        if (stage === 0 && w.stderr.includes('subscribed; waiting for events')) {
          stage = 1;
          void control.reset();
        } else if (stage === 1 && w.stdout.includes('"type":"resync"')) {
          stage = 2;
          w.kill('SIGINT');
        }
      },
    });
    expect(stage, `reached stage ${stage} of 2; stderr: ${r.stderr.slice(-500)}`).toBe(2);
    expect(r.code).toBe(130);
    // The progress line may be printed after the resync line that ends the run (and a link reset
    // just before the kill can add a plain re-establishment): the reboot itself is asserted on the
    // data stream below.
    expect(r.stderr).toMatch(/session re-established|link down/);
    const resync = jsonLines(r.stdout).find((o) => o.type === 'resync') as { reason: string; interfaces: Iface[]; time: string };
    expect(resync.reason).toBe('reboot');
    expect(resync.interfaces.length).toBeGreaterThan(0);
    expect(Date.parse(resync.time)).not.toBeNaN();
  });
});

describe('netbridge qemu', () => {
  it('builds, boots, prints the device path, runs the command and stops the emulator on Ctrl-C (130)', async (ctx) => {
    // native_sim only: a second emulator of the same target reuses the runner's build, and boots fast.
    if (process.env.NETBRIDGE_HIL_TARGET !== 'native_sim') ctx.skip('checked on native_sim only');
    let bridge: string | undefined;
    let sent = false;
    const r = await cli(['qemu', '--target', 'native_sim', 'monitor', '--verbose'], {
      timeoutMs: 300_000,
      onOutput: (w) => {
        bridge ??= /bridge UART: (\/dev\/pts\/\d+)/.exec(w.stderr)?.[1];
        if (!sent && w.stderr.includes('subscribed; waiting for events')) {
          sent = true;
          w.kill('SIGINT');
        }
      },
    });
    expect(bridge).toMatch(/^\/dev\/pts\/\d+$/);
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/\[build native_sim\]/);
    // the emulator's pty (held by its relay) is gone with it
    expect(existsSync(bridge as string)).toBe(false);
  }, 320_000);
});
