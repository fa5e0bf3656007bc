/**
 * The `netbridge` command line: a commander program whose actions return exit statuses. `run()` is
 * the whole CLI as a function of argv and streams (what bin/netbridge.js and `netbridge qemu` call).
 */
import { Command, CommanderError, Option } from 'commander';
import { runBench, runHil } from './commands/devtools.js';
import { runIfaces } from './commands/ifaces.js';
import { runInfo } from './commands/info.js';
import { runMonitor } from './commands/monitor.js';
import { runNc } from './commands/nc.js';
import { runPorts } from './commands/ports.js';
import { QEMU_TARGETS, checkQemuTarget, runQemu } from './commands/qemu.js';
import { type Io, makeCtx, processIo } from './context.js';
import { EXIT, UsageError, exitCodeOf, formatError } from './errors.js';
import {
  DEFAULT_BAUD,
  DEFAULT_TIMEOUT_MS,
  type GlobalOptions,
  PORT_ENV,
  parseBaud,
  parseDuration,
  parseIntOption,
} from './options.js';

const VERSION = '0.1.0';

/** The options every command takes, so they may come before or after the command name. */
function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('-p, --port <device>', `board serial port, or tcp:HOST:PORT (default: $${PORT_ENV})`)
    .option('-b, --baud <rate>', 'baud rate of a serial port', parseBaud, DEFAULT_BAUD)
    .option('-t, --timeout <duration>', 'handshake and request timeout (ms, or e.g. 5s)', parseDuration, DEFAULT_TIMEOUT_MS)
    .option('-v, --verbose', 'progress detail, and the stack with errors', false)
    .option('--json', 'machine-readable output: JSON (one object per line)', false);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Global options may be given before or after the command name. commander's optsWithGlobals lets
 * the parent's defaults win; here a value the user gave, wherever, beats any default.
 */
export function mergedOptions(cmd: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  const out: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const c of chain) {
    for (const [key, value] of Object.entries(c.opts())) {
      const fromUser = c.getOptionValueSource(key) !== 'default';
      if (fromUser || !given.has(key)) out[key] = value;
      if (fromUser) given.add(key);
    }
  }
  return out as unknown as GlobalOptions;
}

/** Builds the program; `done` receives each action's exit status. */
export function buildProgram(io: Io, done: (code: number) => void): Command {
  const program = addGlobalOptions(new Command('netbridge'))
    .description("Script a Zephyr board's net_mgmt events and sockets over a UART")
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // commander's own usage errors become our one-line form
      outputError: (s, write) => write(s.replace(/^error: /, 'netbridge: ')),
    });

  const ctxOf = (cmd: Command) => makeCtx(io, mergedOptions(cmd));
  const sub = (name: string, description: string) =>
    addGlobalOptions(program.command(name).description(description).exitOverride());

  sub('ports', 'serial ports on this machine; * marks those that answer the netbridge handshake')
    .argument('[path...]', 'more devices to probe (ptys are not listed by udev)')
    .option('--no-probe', 'list only, do not open the ports')
    .option('--probe-timeout <duration>', 'handshake wait per port', parseDuration, 1500)
    .action(async (paths: string[], o: { probe: boolean; probeTimeout: number }, cmd: Command) => {
      done(await runPorts(ctxOf(cmd), paths, o));
    });

  sub('info', "the board's handshake facts, limits and link counters").action(async (_o: unknown, cmd: Command) => {
    done(await runInfo(ctxOf(cmd)));
  });

  sub('ifaces', "the board's interfaces and addresses")
    .option('-i, --iface <index>', 'only this interface', parseIntOption('--iface', 1, 255))
    .action(async (o: { iface?: number }, cmd: Command) => {
      done(await runIfaces(ctxOf(cmd), o.iface));
    });

  sub('monitor', 'live net_mgmt events, one line each (Ctrl-C to stop: exit status 130)')
    .option('-e, --event <name>', 'NET_EVENT_* name, IF_UP, or a prefix like IPV4_* (repeatable)', collect, [])
    .option('-i, --iface <index>', 'only events of this interface', parseIntOption('--iface', 1, 255))
    .option('-c, --count <n>', 'exit (status 0) after n events', parseIntOption('--count', 1, 1_000_000_000))
    .option('--queue <n>', 'events buffered while output is slow', parseIntOption('--queue', 1, 1_000_000), 1024)
    .addHelpText('after', '\nWith --json each line is one object: {"type":"event","time","event","code","layer","iface","info",...},\n{"type":"overrun",...} or {"type":"resync",...}.')
    .action(async (o: { event: string[]; iface?: number; count?: number; queue: number }, cmd: Command) => {
      done(await runMonitor(ctxOf(cmd), o));
    });

  sub('nc', "netcat through the board's sockets: stdin to the socket, the socket to stdout")
    .argument('<host-or-port>', 'peer host (or, with -l, the port or bind address)')
    .argument('[port]', 'peer port (with -l: the port to listen on)')
    .option('-u, --udp', 'UDP instead of TCP', false)
    .option('-l, --listen', 'listen on the board instead of connecting', false)
    .option('-N, --shutdown', 'TCP: shutdown(SHUT_WR) the socket when stdin ends', false)
    .option('-w, --wait <duration>', 'UDP: how long to wait for replies after stdin ends', parseDuration, 1000)
    .addHelpText('after', '\nExit status as nc: 0 when the peer closes (TCP; stdin EOF alone does not end it, as in nc without -N) or after --wait (UDP), 1 on failure, 130 on Ctrl-C.\nExamples:\n  echo -e "GET / HTTP/1.0\\r\\n\\r" | netbridge nc --port /dev/ttyACM0 example.com 80\n  netbridge nc -l 7000')
    .action(async (a: string, b: string | undefined, o: { udp: boolean; listen: boolean; shutdown: boolean; wait: number }, cmd: Command) => {
      done(await runNc(ctxOf(cmd), b === undefined ? [a] : [a, b], { ...o, halfClose: o.shutdown }));
    });

  sub('qemu', 'build the firmware if needed, boot it emulated, and run a command against it')
    .addOption(new Option('--target <board>', 'emulated board').choices(QEMU_TARGETS).default('mps2/an385'))
    .argument('[command...]', 'netbridge command and its options (default: monitor)')
    .passThroughOptions()
    .allowUnknownOption()
    .addHelpText('after', '\nExamples:\n  netbridge qemu\n  netbridge qemu --target native_sim ifaces --json\n  netbridge qemu monitor --json --event IPV4_*')
    .action(async (command: string[], o: { target: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      done(await runQemu(ctx, checkQemuTarget(o.target), command, (argv) => run(argv, io)));
    });

  program
    .command('hil')
    .description('run the HIL suite (arguments go to the HIL runner; try: netbridge hil -- --help)')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .exitOverride()
    .action(async (args: string[]) => done(await runHil(args)));

  program
    .command('bench')
    .description('run the benchmarks (arguments go to the benchmark runner)')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .exitOverride()
    .action(async (args: string[]) => done(await runBench(args)));

  return program;
}

/** Runs the CLI; resolves with the exit status. Never throws. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; commander already printed its usage message
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr.write(`${formatError(err, verbose)}\n`);
    return err instanceof UsageError ? EXIT.usage : exitCodeOf(err);
  }
}

/** Entry point: exit with the CLI's status once stdout has drained. */
export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2));
  process.exitCode = code;
  // Open handles (a serial port's read loop) must not keep a finished command alive.
  process.stdout.write('', () => process.exit(code));
}
