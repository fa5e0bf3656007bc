/**
 * HIL runner: for each target, build the companion app, boot it (QEMU, native_sim) or attach to a
 * real board, run the HIL suite (hil/tests) against its bridge UART with the target's facts in the
 * environment and a control channel for reset / link / console, then report.
 *
 *   npm run hil                                    the three emulated boards and the two variants
 *   npm run hil -- --target mps2/an385 --target native_sim
 *   npm run hil -- --target mps2/an385+shared-console   bridge on the console UART (hil/lib/targets.ts)
 *   npm run hil -- --target native_sim+asan        ASan + UBSan; a sanitizer report fails the target
 *   npm run hil -- --port /dev/ttyACM0 [--console /dev/ttyACM1] [--baud 115200]
 *   npm run hil -- --target native_sim --overlay firmware/app/overlay-tls.conf
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { attachBoard, bootBuild, type Target } from './lib/boot.js';
import { buildFirmware, formatFootprint, readDotConfig, type BuildResult, type Footprint } from './lib/build.js';
import { ENV, startControlServer, type ExpectedFacts } from './lib/control.js';
import { SanitizerScanner } from './lib/sanitizer.js';
import { defaultHilTargets, parseHilTarget, suiteArgsFor, variants, type HilTargetSpec } from './lib/targets.js';
import { findZephyr, repoRoot, zephyrBaseCandidate } from './lib/workspace.js';

interface TargetReport {
  target: string;
  status: 'passed' | 'failed' | 'error';
  passed: number;
  failed: number;
  skipped: number;
  /** Why the target could not be tested at all (build or boot failure). */
  error: string | null;
  footprint: Footprint | null;
  seconds: { build: number; boot: number; tests: number };
  /** Sanitizer reports zephyr.exe printed on stderr (native_sim); any fails the target. */
  sanitizer: { reports: number; summary: string; log: string } | null;
}

const workDir = path.join(repoRoot, 'hil', '.work');

/**
 * QEMU user-mode forwards for the sockets suite (host client to a board server): a free host port
 * on 127.0.0.1 per protocol to a fixed board port, told to the suite as JSON in this variable.
 */
const HOSTFWD_ENV = 'NETBRIDGE_HIL_HOSTFWD';
const HOSTFWD_BOARD_PORT = { tcp: 4242, udp: 4243 } as const;

function freePort(proto: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (proto === 'tcp') {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
      });
      srv.on('error', reject);
    } else {
      const s = createSocket('udp4');
      s.on('error', reject);
      s.bind(0, '127.0.0.1', () => {
        const port = s.address().port;
        s.close(() => resolve(port));
      });
    }
  });
}

async function hostForwards(): Promise<{ proto: 'tcp' | 'udp'; hostPort: number; boardPort: number }[]> {
  return [
    { proto: 'tcp', hostPort: await freePort('tcp'), boardPort: HOSTFWD_BOARD_PORT.tcp },
    { proto: 'udp', hostPort: await freePort('udp'), boardPort: HOSTFWD_BOARD_PORT.udp },
  ];
}
const log = (line: string) => process.stderr.write(`${line}\n`);

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function num(cfg: Record<string, string>, key: string): number | null {
  const v = cfg[key];
  return v === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(v) ? null : Number(v);
}

/** What the board must say in HELLO, from the build's .config and the workspace's VERSION. */
function expectedFacts(build: BuildResult, zephyrVersion: string): ExpectedFacts {
  const cfg = readDotConfig(build.dotConfig);
  const kconfig = Object.fromEntries(Object.entries(cfg).filter(([k]) => k.startsWith('CONFIG_NETBRIDGE_')));
  return {
    board: cfg.CONFIG_BOARD_TARGET ?? build.target.board,
    zephyrVersion,
    firmwareVersion: cfg.CONFIG_NETBRIDGE_FW_VERSION ?? null,
    mtu: num(cfg, 'CONFIG_NETBRIDGE_MTU'),
    window: num(cfg, 'CONFIG_NETBRIDGE_RX_WINDOW'),
    limits: {
      maxSockets: num(cfg, 'CONFIG_NETBRIDGE_MAX_SOCKETS'),
      maxSubscriptions: num(cfg, 'CONFIG_NETBRIDGE_MAX_SUBSCRIPTIONS'),
      eventQueue: num(cfg, 'CONFIG_NETBRIDGE_EVENT_QUEUE_LEN'),
      txQueue: num(cfg, 'CONFIG_NETBRIDGE_TX_QUEUE_LEN'),
      rxBuffer: num(cfg, 'CONFIG_NETBRIDGE_UART_RX_RING'),
    },
    kconfig,
  };
}

interface VitestJson {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  numTotalTestSuites?: number;
  numFailedTestSuites?: number;
}

/** Runs the suite against one target; counts come from vitest's JSON report. */
async function runSuite(
  target: Target,
  env: Record<string, string>,
  slug: string,
  extraArgs: string[],
): Promise<{ passed: number; failed: number; skipped: number; code: number }> {
  const jsonOut = path.join(workDir, `vitest-${slug}.json`);
  const vitest = path.join(repoRoot, 'node_modules', '.bin', 'vitest');
  const args = [
    'run',
    '--config', path.join('hil', 'vitest.config.ts'),
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${jsonOut}`,
    ...extraArgs,
  ];
  writeFileSync(jsonOut, '{}');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(vitest, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', () => resolve(127));
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  let report: VitestJson = {};
  try {
    report = JSON.parse(readFileSync(jsonOut, 'utf8')) as VitestJson;
  } catch {
    /* vitest died before writing: counted as a failure below */
  }
  const passed = report.numPassedTests ?? 0;
  // A test file whose hooks fail reports its tests as skipped: count the failed files as well.
  const failed = Math.max(report.numFailedTests ?? 0, report.numFailedTestSuites ?? 0);
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  return { passed, failed: code !== 0 && failed === 0 ? 1 : failed, skipped, code };
}

async function testTarget(spec: string, opts: CliOptions, userArgs: string[]): Promise<TargetReport> {
  const report: TargetReport = {
    target: spec,
    status: 'error',
    passed: 0,
    failed: 0,
    skipped: 0,
    error: null,
    footprint: null,
    seconds: { build: 0, boot: 0, tests: 0 },
    sanitizer: null,
  };
  const isPort = spec.startsWith('port:');
  const hilTarget: HilTargetSpec | null = isPort ? null : parseHilTarget(spec);
  const variant = hilTarget?.variant ?? null;
  const { args: suiteArgs, files } = suiteArgsFor(variant, userArgs);
  if (files && files.length === 0) {
    log(`[hil ${spec}] none of the test files asked for is in this variant's suite (${variant?.suite?.join(', ')}): nothing to run`);
    return { ...report, status: 'passed' };
  }
  // Every native_sim run is scanned: a plain build prints no sanitizer report, so a hit is real.
  const scanner = hilTarget?.board === 'native_sim' ? new SanitizerScanner() : null;
  const slug = isPort ? `port-${path.basename(spec.slice(5))}` : spec.replace(/[^\w.-]+/g, '_');
  let target: Target | null = null;
  let expect: ExpectedFacts | null = null;
  let forwards: Awaited<ReturnType<typeof hostForwards>> = [];
  let t = Date.now();
  try {
    if (isPort) {
      target = await attachBoard(spec.slice(5), { console: opts.console, baudRate: opts.baud });
    } else {
      const ws = findZephyr();
      if (!ws) throw new Error(`no Zephyr workspace at ${zephyrBaseCandidate()}`);
      const board = hilTarget?.board ?? spec;
      const overlays = [...(variant?.overlays.map((o) => path.join(repoRoot, o)) ?? []), ...opts.overlay];
      // build/<board>-<variant>[+<overlays>]: a variant's build never overwrites the plain one.
      const dirName = [variant?.name, ...opts.overlay.map((o) => path.basename(o).replace(/\.\w+$/, ''))]
        .filter((x): x is string => !!x)
        .join('+');
      const build = await buildFirmware(board, {
        log,
        sourceDir: path.resolve(opts.app),
        ...(overlays.length ? { overlays } : {}),
        ...(dirName ? { variant: dirName } : {}),
      });
      report.footprint = build.footprint;
      report.seconds.build = build.seconds;
      expect = expectedFacts(build, ws.version);
      t = Date.now();
      forwards = board === 'native_sim' ? [] : await hostForwards();
      const hostfwd = forwards.map((f) => `${f.proto}:127.0.0.1:${f.hostPort}-:${f.boardPort}`);
      target = await bootBuild(build, {
        log,
        workDir,
        hostfwd,
        sharedConsole: variant?.sharedConsole ?? false,
        ...(scanner ? { onStderr: (chunk: string) => scanner.push(chunk) } : {}),
      });
    }
    report.seconds.boot = (Date.now() - t) / 1000;
    // Per runner process: two runs in one checkout must not answer each other's suites.
    const control = await startControlServer(path.join(workDir, `control-${slug}-${process.pid}.sock`), target);
    t = Date.now();
    try {
      const env: Record<string, string> = {
        // Tests tell boards apart by name: a variant runs them as its board.
        [ENV.target]: hilTarget?.board ?? spec,
        [ENV.bridge]: target.bridgePath,
        [ENV.baud]: String(opts.baud),
        [ENV.control]: control.path,
      };
      if (expect) env[ENV.expect] = JSON.stringify(expect);
      if (variant) env[ENV.variant] = variant.name;
      if (forwards.length) env[HOSTFWD_ENV] = JSON.stringify(forwards);
      log(`[hil ${spec}] bridge ${target.bridgePath}; running the suite`);
      if (files) log(`[hil ${spec}] variant ${variant?.name}: ${files.map((f) => path.basename(f)).join(', ')}`);
      const res = await runSuite(target, env, slug, suiteArgs);
      report.passed = res.passed;
      report.failed = res.failed;
      report.skipped = res.skipped;
      report.status = res.failed === 0 && res.code === 0 ? 'passed' : 'failed';
    } finally {
      report.seconds.tests = (Date.now() - t) / 1000;
      await control.close();
    }
  } catch (err) {
    report.status = 'error';
    report.error = err instanceof Error ? err.message : String(err);
    log(`[hil ${spec}] ERROR: ${report.error}`);
  } finally {
    if (target) {
      if (target.console) {
        writeFileSync(path.join(workDir, `console-${slug}.log`), target.console.output(), 'latin1');
      }
      await target.stop();
    }
  }
  // After stop(): LeakSanitizer reports when zephyr.exe exits.
  if (scanner) {
    scanner.end();
    if (scanner.count() > 0) {
      const logFile = path.join(workDir, `sanitizer-${slug}.log`);
      writeFileSync(logFile, `${scanner.findings().map((f) => f.text).join('\n\n')}\n`, 'latin1');
      report.sanitizer = { reports: scanner.count(), summary: scanner.summary(), log: path.relative(repoRoot, logFile) };
      report.failed += 1;
      if (report.status === 'passed') report.status = 'failed';
      log(`[hil ${spec}] SANITIZER: ${report.sanitizer.summary} (${report.sanitizer.log}); first report:`);
      log(scanner.findings()[0]?.text ?? '');
    } else {
      report.sanitizer = { reports: 0, summary: 'none', log: '' };
    }
  }
  return report;
}

interface CliOptions {
  target: string[];
  port: string[];
  console?: string;
  baud: number;
  app: string;
  overlay: string[];
}

async function main(): Promise<number> {
  const program = new Command()
    .name('npm run hil --')
    .description('Build, boot and test netbridge firmware on emulated targets or a real board')
    .option(
      '--target <target>',
      `mps2/an385 | qemu_cortex_m3 | native_sim | <board>+<variant> | port:/dev/ttyX (repeatable; default: ${defaultHilTargets.join(', ')})`,
      collect,
      [],
    )
    .option('--port <device>', 'a real board on this serial device (same as --target port:<device>)', collect, [])
    .option('--console <device>', "a real board's console UART, for the console tests")
    .option('--app <dir>', 'application to build for the emulated targets', 'firmware/app')
    .option('--overlay <file>', 'extra Kconfig fragment (.conf) or devicetree overlay for the build (repeatable)', collect, [])
    .option('--baud <rate>', 'baud rate of a real board', (v) => Number(v), 115200)
    .argument('[vitest-args...]', 'passed to vitest after --, e.g. -t handshake')
    .addHelpText(
      'after',
      `\nVariants (<board>+<variant>; build/<board>-<variant>):\n${Object.values(variants)
        .map((v) => `  ${`${v.boards.join('|')}+${v.name}`.padEnd(28)} ${v.description}${v.suite ? `; runs ${v.suite.map((f) => path.basename(f, '.test.ts')).join(', ')}` : ''}`)
        .join('\n')}\n`,
    )
    .allowExcessArguments(false);
  program.parse(process.argv);
  const opts = program.opts<CliOptions>();
  const suiteArgs = program.args;
  const targets = [...opts.target, ...opts.port.map((p) => `port:${p}`)];
  if (targets.length === 0) targets.push(...defaultHilTargets);
  for (const t of targets) {
    if (t.startsWith('port:')) continue;
    try {
      parseHilTarget(t);
    } catch (err) {
      log(`${(err as Error).message}, or port:/dev/ttyX`);
      return 2;
    }
  }
  if (targets.some((t) => !t.startsWith('port:')) && !findZephyr()) {
    log(`no Zephyr workspace at ${zephyrBaseCandidate()}: set ZEPHYR_BASE or see README.md (Getting Zephyr)`);
    return 2;
  }
  mkdirSync(workDir, { recursive: true });
  const started = Date.now();
  const reports: TargetReport[] = [];
  for (const spec of targets) reports.push(await testTarget(spec, opts, suiteArgs));

  const totalSeconds = (Date.now() - started) / 1000;
  const lines = reports.map((r) => {
    const fp = r.footprint ? `; ${formatFootprint(r.footprint)}` : '';
    const secs = `build ${r.seconds.build.toFixed(0)} s, boot ${r.seconds.boot.toFixed(1)} s, tests ${r.seconds.tests.toFixed(0)} s`;
    const what = r.error ? `ERROR ${r.error.split('\n')[0]}` : `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
    const san = r.sanitizer ? `; sanitizer reports: ${r.sanitizer.reports ? `${r.sanitizer.summary} (${r.sanitizer.log})` : 0}` : '';
    return `  ${r.status.toUpperCase().padEnd(6)} ${r.target.padEnd(26)} ${what} (${secs}${fp}${san})`;
  });
  const passed = reports.reduce((n, r) => n + r.passed, 0);
  // A target that could not be built or booted counts as one failure.
  const failed = reports.reduce((n, r) => n + r.failed + (r.status === 'error' ? 1 : 0), 0);
  process.stdout.write(`\nHIL report (${totalSeconds.toFixed(0)} s):\n${lines.join('\n')}\n`);
  writeFileSync(
    path.join(workDir, 'report.json'),
    `${JSON.stringify({ passed, failed, seconds: totalSeconds, targets: reports }, null, 2)}\n`,
  );
  return reports.every((r) => r.status === 'passed') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`hil: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
