/**
 * netbridge benchmarks: goodput against the line rate (8N1 limited by the fault-injection proxy)
 * and against the emulator's own ceiling, latency, host cost, framing overhead vs MCUmgr and the
 * firmware footprint; writes docs/benchmarks.md.
 *
 *   npm run bench                       full run (about 10 minutes; builds are cached in build/)
 *   npm run bench -- --quick            short transfers and fewer samples
 *   npm run bench -- --no-footprint     skip the footprint builds
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { bootBuild, type Target } from '../hil/lib/boot.js';
import { buildFirmware, type BuildResult } from '../hil/lib/build.js';
import { emulatedTargets, findZephyr, repoRoot } from '../hil/lib/workspace.js';
import { codecRates, framingOverhead } from './lib/codec.js';
import { type EchoCeiling, measureEchoCeiling } from './lib/echo.js';
import { type FootprintRow, measureFootprints } from './lib/footprint.js';
import { type Goodput, eventDelays, nullRoundTrip, openSession, pingGoodput, sinkGoodput, tcpGoodput, waitForIpv4 } from './lib/live.js';
import { type BenchRun, type ShapedRun, renderReport, scrub } from './lib/report.js';
import { machine, sleep } from './lib/util.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

interface Options {
  quick: boolean;
  footprint: boolean;
  live: boolean;
  target: string;
  footprintTarget: string[];
  out: string;
  seconds?: string;
}

/** The board for the timed runs: the companion app's configuration with sockets and a 1 ms tick. */
async function buildLiveFirmware(target: string): Promise<{ build: BuildResult; label: string }> {
  const app = path.join(repoRoot, 'bench', 'footprint-app');
  const variants = path.join(app, 'variants');
  const live = path.join(repoRoot, 'bench', 'firmware-live.conf');
  try {
    const build = await buildFirmware(target, {
      sourceDir: app,
      overlays: [path.join(variants, 'sockets.conf'), live],
      variant: 'bench-live',
      log,
    });
    return { build, label: 'companion app configuration, events + sockets, 1 ms tick' };
  } catch (err) {
    log(`[bench] the sockets build failed (${message(err)}); measuring with events only`);
    const build = await buildFirmware(target, {
      sourceDir: app,
      overlays: [path.join(variants, 'events.conf'), live],
      variant: 'bench-live-events',
      log,
    });
    return { build, label: 'companion app configuration, events only (the sockets build failed), 1 ms tick' };
  }
}

/** What a line carries per direction: the baud rate's bytes/s or the emulator's, whichever is lower. */
function carried(baud: number | null, echo: EchoCeiling | null): { toBoard: number; toHost: number } {
  const shaped = echo?.shaped.find((x) => x.baud === baud);
  if (shaped) return { toBoard: shaped.bytesPerSec, toHost: shaped.bytesPerSec };
  const line = baud === null ? Infinity : baud / 10;
  // Without an echo figure, assume the emulator is not the bottleneck (ratios then use the line).
  const toBoard = Math.min(line, echo?.bytesPerSec ?? Infinity);
  const toHost = Math.min(line, echo?.bytesPerSec ?? Infinity);
  return { toBoard: Number.isFinite(toBoard) ? toBoard : 100_000, toHost: Number.isFinite(toHost) ? toHost : 100_000 };
}

async function measureLine(
  board: Target,
  baud: number | null,
  echo: EchoCeiling | null,
  o: { rttCount: number; eventPairs: number; tcp: boolean; seconds: number },
): Promise<ShapedRun> {
  const run: ShapedRun = { baud, lineRate: baud === null ? null : baud / 10, rtt: null, events: null, goodput: [], errors: [] };
  const name = baud === null ? 'unshaped' : `${baud} baud`;
  const rates = carried(baud, echo);
  // Bulk transfers last about o.seconds on the slower direction of this line.
  const transferBytes = Math.max(8 * 1024, Math.round(Math.min(rates.toBoard, rates.toHost) * o.seconds));
  log(`[bench] ${name}: session`);
  const s = await openSession(board, baud);
  try {
    const step = async (what: string, job: () => Promise<void>) => {
      log(`[bench] ${name}: ${what}`);
      try {
        await job();
      } catch (err) {
        log(`[bench] ${name}: ${what} failed: ${message(err)}`);
        run.errors.push(`${what}: ${message(err)}`);
      }
    };
    await step('null-request round trips', async () => {
      run.rtt = await nullRoundTrip(s.client, o.rttCount);
      log(`[bench] ${name}: null request p50 ${run.rtt.p50.toFixed(1)} ms, p99 ${run.rtt.p99.toFixed(1)} ms`);
    });
    await step('event delays', async () => {
      run.events = await eventDelays(s, o.eventPairs, 1);
      log(`[bench] ${name}: ${run.events.events} events, delay p50 ${run.events.p50.toFixed(1)} ms, p99 ${run.events.p99.toFixed(1)} ms`);
    });
    const report = (g: Goodput) => {
      run.goodput.push(g);
      log(`[bench] ${name}: ${g.direction} ${g.method}: ${(g.bytesPerSec / 1000).toFixed(1)} kB/s, ${g.retransmits} retransmits`);
    };
    await step('SINK goodput (host->board)', async () => {
      report(await sinkGoodput(s, transferBytes));
    });
    await step('PING echo goodput (board->host)', async () => {
      report(await pingGoodput(s, transferBytes));
    });
    if (o.tcp) {
      await step('TCP goodput through a board socket', async () => {
        if (!(await waitForIpv4(s, 20_000))) throw new Error('the board got no IPv4 address (DHCP) within 20 s');
        for (const g of await tcpGoodput(s, transferBytes)) report(g);
      });
    }
  } finally {
    await s.close();
  }
  return run;
}

async function main(): Promise<number> {
  const program = new Command()
    .name('npm run bench --')
    .description('Measure netbridge and write docs/benchmarks.md')
    .option('--quick', 'short transfers and fewer samples', false)
    .option('--no-footprint', 'skip the firmware footprint builds')
    .option('--no-live', 'skip everything that boots a board (codec and footprint figures only)')
    .option('--target <name>', 'emulated target for the timed runs', 'mps2/an385')
    .option('--footprint-target <name>', 'target for the footprint builds (repeatable; default: all emulated)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--seconds <s>', 'seconds per bulk transfer (default 5, quick 1.5)')
    .option('--out <file>', 'where to write the report', path.join('docs', 'benchmarks.md'));
  program.parse();
  const o = program.opts<Options>();
  const started = performance.now();
  const secondsPerTransfer = o.seconds ? Number(o.seconds) : o.quick ? 1.5 : 5;
  const m = machine();
  log(`[bench] ${m.cpu}, ${m.cores} cores, load ${m.load.toFixed(1)}, Node ${m.node}, QEMU ${m.qemu}, Zephyr ${m.zephyr}`);

  log('[bench] framing overhead and codec rates');
  const overhead = framingOverhead();
  const codec = codecRates(o.quick ? 300 : 1000);

  const ws = findZephyr();
  let echo: EchoCeiling | null = null;
  let echoError: string | null = null;
  const runs: ShapedRun[] = [];
  let firmware: string | null = null;
  if (!o.live) {
    echoError = 'skipped (--no-live)';
  } else if (!ws) {
    echoError = 'no Zephyr workspace (set ZEPHYR_BASE)';
  } else {
    try {
      log('[bench] emulator ceiling (echo app)');
      echo = await measureEchoCeiling(o.target, secondsPerTransfer, [1_000_000, 115_200], log);
      log(`[bench] echo ceiling ${(echo.bytesPerSec / 1000).toFixed(1)} kB/s per direction`);
      for (const e of echo.shaped) log(`[bench] echo at ${e.baud} baud: ${(e.bytesPerSec / 1000).toFixed(1)} kB/s`);
    } catch (err) {
      echoError = message(err);
      log(`[bench] echo ceiling failed: ${echoError}`);
    }
    const { build, label } = await buildLiveFirmware(o.target);
    firmware = label;
    const board = await bootBuild(build, { log, workDir: path.join(repoRoot, 'hil', '.work', 'bench') });
    try {
      await sleep(200);
      const rttCount = o.quick ? 100 : 500;
      const eventPairs = o.quick ? 50 : 200;
      const lines = [null, 1_000_000, 115_200];
      for (const baud of lines) {
        try {
          runs.push(await measureLine(board, baud, echo, { rttCount, eventPairs, tcp: label.includes('sockets'), seconds: secondsPerTransfer }));
        } catch (err) {
          runs.push({ baud, lineRate: baud === null ? null : baud / 10, rtt: null, events: null, goodput: [], errors: [message(err)] });
        }
      }
    } finally {
      await board.stop();
    }
  }

  let footprint: FootprintRow[] | null = null;
  let footprintError: string | null = null;
  if (!o.footprint) footprintError = 'skipped (--no-footprint)';
  else if (!ws) footprintError = 'no Zephyr workspace (set ZEPHYR_BASE)';
  else {
    const targets = o.footprintTarget.length ? o.footprintTarget : [...emulatedTargets];
    log(`[bench] footprint builds for ${targets.join(', ')} (cached in build/<target>-bench-*)`);
    footprint = await measureFootprints(targets, log);
  }

  const run: BenchRun = {
    machine: m,
    quick: o.quick,
    target: o.target,
    firmware,
    overhead,
    codec,
    echo,
    echoError,
    runs,
    footprint,
    footprintError,
    seconds: (performance.now() - started) / 1000,
  };
  const outPath = path.resolve(repoRoot, o.out);
  mkdirSync(path.dirname(outPath), { recursive: true });
  writeFileSync(outPath, renderReport(run));
  // The raw figures, for comparing runs (build/ is not committed).
  const rawPath = path.join(repoRoot, 'build', 'bench-last.json');
  mkdirSync(path.dirname(rawPath), { recursive: true });
  writeFileSync(rawPath, `${JSON.stringify(run, null, 2)}\n`);
  log(`[bench] wrote ${scrub(outPath)} in ${run.seconds.toFixed(0)} s`);
  const failures = runs.reduce((n, r) => n + r.errors.length, 0);
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
