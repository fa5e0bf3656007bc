/**
 * Soak: a bounded run that mixes event subscriptions, interface changes, socket streams (a board
 * socketpair, and TCP through the board's network stack: a board client to a board server) and
 * PINGs through the fault proxy (byte errors, garbage, console text) with board resets at random
 * moments, then checks what docs/reliability.md promises:
 *   - every byte written on a socket arrives once and in order (SHA-256), or the stream ends typed;
 *   - every call returns or fails with a typed error within its timeout;
 *   - the network monitor's view equals the board's dump at the end;
 *   - host memory stays flat (heap after GC, RSS reported) and the board's heap and queues do not grow.
 *
 *   npm run soak                                   3 minutes on native_sim (CI: --minutes 2)
 *   npm run soak -- --target mps2/an385 --minutes 30 --reboots 6
 *   npm run soak -- --port /dev/ttyACM0 --minutes 60  (a real board; resets through REBOOT)
 *   npm run soak -- --tcp on                       fail when the board's TCP loopback carries no data
 *                                                  (default auto: TCP streams run when a probe passes)
 * Writes hil/.work/soak-report.json; exit status 0 when every check holds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Command } from 'commander';
import {
  type BoardStats,
  Client,
  type NetInterface,
  NetMgmt,
  NetworkMonitor,
  openSerialPort,
} from '../src/index.js';
import { attachBoard, bootBuild, type Target } from './lib/boot.js';
import { buildFirmware } from './lib/build.js';
import { FaultProxy, formatFaultReport } from './lib/fault-proxy.js';
import {
  CHURN_EVENTS,
  type ChurnStats,
  type StreamStats,
  type TcpEndpoint,
  call,
  checkedPing,
  ifaceChurn,
  ifaceCleanup,
  newStreamStats,
  newVerdicts,
  probeTcp,
  socketStream,
  tcpStream,
} from './lib/fault-workloads.js';
import { repoRoot } from './lib/workspace.js';

interface Options {
  target: string;
  port?: string;
  baud: number;
  minutes: number;
  seed: number;
  byteErrorRate: number;
  reboots: number;
  tcp: 'auto' | 'on' | 'off';
  report: string;
}

/** Board ports the TCP streams cycle through (a closed connection holds its port in TIME_WAIT). */
const TCP_BASE_PORT = 6100;
const TCP_PORTS = 16;

/**
 * The address a board TCP client reaches a board server on: 127.0.0.1 with a loopback interface
 * (native_sim), else the board's own IPv4 address (QEMU: once DHCP has given one).
 */
async function boardSelfAddress(nm: NetMgmt, waitMs: number): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const ifaces = await nm.ifaceDump(undefined, { timeout: 8000 }).catch(() => [] as NetInterface[]);
    const v4 = ifaces.flatMap((i) => i.addresses.filter((a) => a.family === 4).map((a) => a.address));
    if (v4.includes('127.0.0.1')) return '127.0.0.1';
    const own = v4.find((a) => !a.startsWith('127.') && !a.startsWith('192.0.2.'));
    if (own) return own;
    if (Date.now() > deadline) return null;
    await sleep(500);
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

function hostMemory(): { rssMb: number; heapMb: number } {
  gc();
  const m = process.memoryUsage();
  return { rssMb: +(m.rss / 2 ** 20).toFixed(1), heapMb: +(m.heapUsed / 2 ** 20).toFixed(1) };
}

/** What the monitor and the dump must agree on (remaining lifetimes tick, so they are left out). */
function comparable(list: NetInterface[]): unknown {
  return list.map((i) => ({
    ...i,
    addresses: i.addresses.map((a) => ({ ...a, lifetime: a.lifetime === undefined ? 'inf' : 'finite' })).sort((x, y) => (x.address < y.address ? -1 : 1)),
  }));
}

const boardFigures = (s: BoardStats | undefined) =>
  s && {
    heapUsed: s.heapUsed,
    heapFree: s.heapFree,
    queueHighWater: s.queueHighWater,
    socketsOpen: s.socketsOpen,
    txDrops: s.txDrops,
    eventsDropped: s.eventsDropped,
    overruns: s.overruns,
    rxOverflows: s.rxOverflows,
    crcErrors: s.crcErrors,
    retransmits: s.retransmits,
  };

async function main(): Promise<number> {
  const program = new Command()
    .name('npm run soak --')
    .option('--target <target>', 'emulated target to build and boot', 'native_sim')
    .option('--port <device>', 'a real board on this serial device instead')
    .option('--baud <rate>', 'baud rate of a real board', (x) => Number(x), 115200)
    .option('--minutes <n>', 'length of the mixed workload', (x) => Number(x), 3)
    .option('--seed <n>', 'fault PRNG seed', (x) => Number(x), Date.now() % 1_000_000)
    .option('--byte-error-rate <p>', 'corrupted bytes per byte, both directions', (x) => Number(x), 1e-4)
    .option('--reboots <n>', 'board resets at random moments (in the first two thirds)', (x) => Number(x), 2)
    .option('--tcp <mode>', "TCP streams through the board's stack: auto (when a probe passes) | on (required) | off", 'auto')
    .option('--report <file>', 'JSON report', path.join(repoRoot, 'hil', '.work', 'soak-report.json'))
    .allowExcessArguments(false);
  program.parse(process.argv);
  const o = program.opts<Options>();
  if (!['auto', 'on', 'off'].includes(o.tcp)) {
    log(`--tcp must be auto, on or off (not ${o.tcp})`);
    return 2;
  }
  const durationMs = o.minutes * 60_000;
  const workDir = path.join(repoRoot, 'hil', '.work');
  mkdirSync(workDir, { recursive: true });

  let target: Target;
  if (o.port) target = await attachBoard(o.port, { console: undefined, baudRate: o.baud });
  else target = await bootBuild(await buildFirmware(o.target, { log }), { log, workDir });
  let client: Client | undefined;
  let proxy: FaultProxy | undefined;
  try {
    const board = await openSerialPort(target.bridgePath, { baudRate: o.baud });
    proxy = new FaultProxy(board, {
      seed: o.seed,
      reboot:
        target.resetKind === 'external'
          ? () => target.reset()
          : async () => void (await client?.reboot({ wait: false }).catch(() => undefined)),
    });
    client = await Client.open({ transport: proxy.host, timeout: 20_000 });
    const c = client;
    const nm = new NetMgmt(c);
    const monitor = await NetworkMonitor.create(nm);
    let eventsSeen = 0;
    await nm.addEventCallback(nm.initEventCallback(() => void eventsSeen++, CHURN_EVENTS));
    const ifindex = monitor.interfaces()[0]?.index;
    if (ifindex === undefined) throw new Error('the board reports no interface');

    // TCP through the board's stack, probed on the clean line before the faults start.
    let tcp: TcpEndpoint | null = null;
    let tcpStatus = 'off (--tcp off)';
    if (o.tcp !== 'off') {
      const address = c.info.features.includes('sockets') ? await boardSelfAddress(nm, 20_000) : null;
      const endpoint = address ? { address, basePort: TCP_BASE_PORT, ports: TCP_PORTS } : null;
      const why = !c.info.features.includes('sockets')
        ? 'the board has no sockets'
        : !endpoint
          ? 'the board has no IPv4 address'
          : await probeTcp(c, endpoint);
      tcp = why === null ? endpoint : null;
      tcpStatus = why === null ? `on, board client to board server over ${address}` : `not run: the probe failed (${why})`;
    }
    log(`[soak] TCP streams: ${tcpStatus}`);

    const v = newVerdicts();
    const memStart = hostMemory();
    const boardStart = await c.stats();
    const boardBaselines: { at: string; heapUsed: number | undefined }[] = [{ at: 'start', heapUsed: boardStart.heapUsed }];
    c.on('reboot', () => {
      // Reported only: the workload is running, so this is not an idle figure.
      setTimeout(() => {
        void c.stats({ timeout: 8000 }).then(
          (s) => boardBaselines.push({ at: `reboot ${c.counters().reboots}`, heapUsed: s.heapUsed }),
          () => undefined,
        );
      }, 1000);
    });
    log(`[soak] ${o.minutes} min on ${target.name}, seed ${o.seed}, byte error rate ${o.byteErrorRate}, ${o.reboots} resets; iface ${ifindex}`);
    log(`[soak] start: host RSS ${memStart.rssMb} MB, heap ${memStart.heapMb} MB; board ${JSON.stringify(boardFigures(boardStart))}`);

    const faults = { corruptRate: o.byteErrorRate, garbageRate: o.byteErrorRate / 5, garbageMaxLen: 48 };
    proxy.configure('toBoard', faults);
    proxy.configure('toHost', { ...faults, consoleRate: o.byteErrorRate / 10 });

    const started = performance.now();
    const deadline = started + durationMs;
    const stop = () => performance.now() >= deadline;
    const p = proxy;
    const rebootTimes: number[] = [];
    const reboots = Array.from({ length: o.reboots }, (_, i) => {
      const slot = (durationMs * 2) / 3 / o.reboots;
      return p.rebootAtRandom(slot * (i + 0.9), slot * (i + 0.1)).then(
        (at) => void rebootTimes.push(Math.round(at)),
        (err: unknown) => v.violations.push(`reset ${i} failed: ${String(err)}`),
      );
    });
    const streams: StreamStats = newStreamStats();
    const tcpStreams: StreamStats = newStreamStats();
    const churn: ChurnStats = { added: 0, deleted: 0, eventsSeen: 0 };
    let pings = 0;
    let pingsOk = 0;
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(+(process.memoryUsage().rss / 2 ** 20).toFixed(1)), 15_000);

    await Promise.all([
      (async () => {
        for (let seed = 1; !stop(); seed++) await socketStream(c, v, streams, 16 * 1024, seed, stop);
      })(),
      (async () => {
        if (!tcp) return;
        for (let seed = 1; !stop(); seed++) await tcpStream(c, v, tcpStreams, tcp, 16 * 1024, seed, stop);
      })(),
      (async () => {
        for (let round = 0; !stop(); round++) {
          await ifaceChurn(nm, v, churn, ifindex, round);
          await sleep(250);
        }
      })(),
      (async () => {
        while (!stop()) {
          const batch = await Promise.all(Array.from({ length: 4 }, () => checkedPing(c, v, pings++)));
          pingsOk += batch.filter(Boolean).length;
          await sleep(100);
        }
      })(),
      ...reboots,
    ]);
    clearInterval(sampler);

    // Quiet line; let the session and the monitor settle, clean up, then compare.
    proxy.configure('both', {});
    await call(v, 'ping after the run', 20_000, () => c.ping(undefined, { timeout: 20_000 }));
    await ifaceCleanup(nm, v, ifindex);
    churn.eventsSeen = eventsSeen;
    let viewMatches = false;
    let lastView: unknown;
    let lastDump: unknown;
    for (let attempt = 0; attempt < 10 && !viewMatches; attempt++) {
      await sleep(500);
      await monitor.settled();
      const dump = await call(v, 'ifaceDump', 8000, () => nm.ifaceDump(undefined, { timeout: 8000 }));
      if (!dump) continue;
      lastView = comparable(monitor.interfaces());
      lastDump = comparable(monitor.filter(dump));
      viewMatches = JSON.stringify(lastView) === JSON.stringify(lastDump);
    }
    // Closed TCP connections leave TIME_WAIT (Zephyr: 1.5 s) before the board is idle again.
    await sleep(tcp ? 2500 : 500);
    const boardEnd = await c.stats({ timeout: 10_000 });
    const memEnd = hostMemory();
    const counters = c.counters();

    const checks: Record<string, boolean> = {
      'no violation (wrong bytes, untyped errors, late calls)': v.violations.length === 0,
      [`at least ${o.reboots} resets seen as reboots`]: counters.reboots >= o.reboots,
      'monitor view equals the board dump': viewMatches,
      'socket streams ran and each ended intact or typed': streams.streams > 0 && streams.intact + streams.endedTyped === streams.streams,
      ...(tcp
        ? {
            'TCP streams ran, each intact or ended typed, most intact':
              tcpStreams.streams > 0 &&
              tcpStreams.intact + tcpStreams.endedTyped === tcpStreams.streams &&
              tcpStreams.intact > tcpStreams.endedTyped,
          }
        : {}),
      ...(o.tcp === 'on' ? { 'TCP through the board stack available (--tcp on)': tcp !== null } : {}),
      'events arrived': eventsSeen > 0,
      'host heap flat (< 32 MB growth after GC)': memEnd.heapMb - memStart.heapMb < 32,
      // Idle at the start and idle at the end (streams closed, addresses removed): the same heap.
      'board heap back to its idle start (within 256 B)': (boardEnd.heapUsed ?? 0) <= (boardStart.heapUsed ?? 0) + 256,
      'board sockets all closed': (boardEnd.socketsOpen ?? 0) === 0,
    };
    const passed = Object.values(checks).every(Boolean);
    const report = {
      passed,
      target: target.name,
      minutes: o.minutes,
      seed: o.seed,
      byteErrorRate: o.byteErrorRate,
      checks,
      violations: v.violations,
      calls: v.calls,
      typedFailures: v.typed,
      lateCalls: v.lateCalls,
      streams,
      tcp: { status: tcpStatus, streams: tcpStreams },
      churn,
      pings: { sent: pings, ok: pingsOk },
      resetsAtMs: rebootTimes,
      host: { start: memStart, end: memEnd, rssSamplesMb: rss, counters },
      board: { start: boardFigures(boardStart), end: boardFigures(boardEnd), heapBaselines: boardBaselines },
      monitor: viewMatches ? 'equal' : { view: lastView, dump: lastDump },
      faults: proxy.report(),
    };
    writeFileSync(o.report, `${JSON.stringify(report, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x), 2)}\n`);
    log(formatFaultReport(proxy.report()));
    log(`[soak] calls ${v.calls}, typed failures ${JSON.stringify(v.typed)}, late ${v.lateCalls}`);
    log(`[soak] socketpair streams ${JSON.stringify(streams)}; churn ${JSON.stringify(churn)}; pings ${pingsOk}/${pings}`);
    log(`[soak] TCP streams (${tcpStatus}): ${JSON.stringify(tcpStreams)}`);
    log(`[soak] end: host RSS ${memEnd.rssMb} MB, heap ${memEnd.heapMb} MB; board ${JSON.stringify(boardFigures(boardEnd))}`);
    for (const [name, ok] of Object.entries(checks)) log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}`);
    for (const what of v.violations.slice(0, 10)) log(`  violation: ${what}`);
    log(`[soak] ${passed ? 'PASSED' : 'FAILED'}; report ${path.relative(repoRoot, o.report)}`);
    await monitor.destroy();
    nm.close();
    return passed ? 0 : 1;
  } finally {
    await client?.close();
    await proxy?.close();
    await target.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
