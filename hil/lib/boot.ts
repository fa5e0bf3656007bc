/**
 * Boots a build (QEMU or native_sim) or attaches to a real board, and hands back a Target: the
 * bridge UART's device path (always a real serial device: a pty or a tty), the console, reset and
 * link control. Every process started here is killed on stop(), on exit and on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BuildResult } from './build.js';
import { repoRoot } from './workspace.js';

export class BootError extends Error {
  readonly code: string;
  constructor(code: 'NB_HIL_BOOT_FAILED' | 'NB_HIL_UNSUPPORTED' | 'NB_HIL_TIMEOUT', message: string) {
    super(message);
    this.code = code;
  }
}

export interface Console {
  write(text: string): void;
  /** Everything retained so far (the newest CONSOLE_LIMIT bytes). */
  output(): string;
  /** Resolves with the first match of `re` in output that arrives after the call (or after `since`). */
  waitFor(re: RegExp, ms: number, since?: number): Promise<string>;
  /** Position to pass as `since`: total characters seen so far. */
  mark(): number;
  /** Characters discarded because the buffer was full. */
  dropped(): number;
}

export type ResetKind = 'external' | 'protocol';

export interface Target {
  name: string;
  bridgePath: string;
  /** null for a real board without --console. */
  console: Console | null;
  /** external: the runner resets the board (QEMU system_reset, process restart); protocol: send REBOOT. */
  resetKind: ResetKind;
  canSetLink: boolean;
  /** The bridge is the console UART (shared-console build): log text travels between its frames. */
  sharedConsole?: boolean;
  reset(): Promise<void>;
  setLink(up: boolean): Promise<void>;
  stop(): Promise<void>;
}

// ----------------------------------------------------------------- process hygiene

const liveChildren = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveChildren.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      killAllNow();
      process.exit(code);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  installExitHooks();
  liveChildren.add(child);
  child.on('exit', () => liveChildren.delete(child));
  return child;
}

async function terminate(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// ----------------------------------------------------------------- console buffer

export const CONSOLE_LIMIT = 512 * 1024;

export class ConsoleBuffer implements Console {
  private text = '';
  private total = 0;
  private droppedChars = 0;
  private waiters = new Set<() => void>();
  constructor(private readonly writer: (text: string) => void) {}

  push(chunk: string): void {
    this.text += chunk;
    this.total += chunk.length;
    if (this.text.length > CONSOLE_LIMIT) {
      const cut = this.text.length - CONSOLE_LIMIT;
      this.droppedChars += cut;
      this.text = this.text.slice(cut);
    }
    for (const wake of [...this.waiters]) wake();
  }
  write(text: string): void {
    this.writer(text);
  }
  output(): string {
    return this.text;
  }
  mark(): number {
    return this.total;
  }
  dropped(): number {
    return this.droppedChars;
  }
  waitFor(re: RegExp, ms: number, since = this.total): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const start = Math.max(0, since - (this.total - this.text.length));
        const m = new RegExp(re.source, re.flags.replace('g', '')).exec(this.text.slice(start));
        if (!m) return false;
        cleanup();
        resolve(m[0]);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new BootError('NB_HIL_TIMEOUT', `console: no match for ${re} within ${ms} ms`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void check();
      if (!check()) this.waiters.add(wake);
    });
  }
}

// ----------------------------------------------------------------- helpers

/** A short directory for unix sockets (sun_path is limited to 107 bytes). */
function socketDir(workDir: string): string {
  mkdirSync(workDir, { recursive: true });
  if (path.join(workDir, 'qemu-xxxxxxxx-monitor.sock').length < 100) return workDir;
  return mkdtempSync(path.join(os.tmpdir(), 'nb-hil-'));
}

function waitForLine(child: ChildProcess, re: RegExp, ms: number, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-8192);
      const m = re.exec(seen);
      if (m) finish(() => resolve(m));
    };
    const onExit = (code: number | null) =>
      finish(() => reject(new BootError('NB_HIL_BOOT_FAILED', `${what} exited (${code}) before ready:\n${seen}`)));
    const timer = setTimeout(
      () => finish(() => reject(new BootError('NB_HIL_TIMEOUT', `${what}: not ready within ${ms} ms:\n${seen}`))),
      ms,
    );
    const finish = (then: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      then();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** QEMU's human monitor over a unix socket: one command at a time, answered up to the next prompt. */
class QemuMonitor {
  private buffer = '';
  private queue: Promise<unknown> = Promise.resolve();
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
    });
    socket.on('error', () => {
      /* reported by the next command */
    });
  }

  static async connect(socketPath: string, ms = 5000): Promise<QemuMonitor> {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(socketPath, () => resolve(s));
          s.once('error', reject);
        });
        const monitor = new QemuMonitor(socket);
        await monitor.untilPrompt(ms);
        return monitor;
      } catch (err) {
        if (Date.now() > deadline) throw new BootError('NB_HIL_BOOT_FAILED', `QEMU monitor: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async untilPrompt(ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.buffer.includes('(qemu) ')) {
      if (Date.now() > deadline || this.socket.destroyed) {
        throw new BootError('NB_HIL_TIMEOUT', 'QEMU monitor did not answer');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const idx = this.buffer.indexOf('(qemu) ');
    const reply = this.buffer.slice(0, idx);
    this.buffer = this.buffer.slice(idx + '(qemu) '.length);
    // The monitor echoes with line-editing escapes; keep the text after the echoed command.
    return reply.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\r\n').slice(1).join('\n').trim();
  }

  command(cmd: string): Promise<string> {
    const next = this.queue.then(async () => {
      this.socket.write(`${cmd}\n`);
      const reply = await this.untilPrompt(5000);
      if (/^(Error|unknown command|Device .* not found)/im.test(reply)) {
        throw new BootError('NB_HIL_BOOT_FAILED', `QEMU monitor "${cmd}": ${reply}`);
      }
      return reply;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A unix-socket server QEMU connects to as the console chardev; resolves once it is listening. */
function consoleServer(socketPath: string): Promise<{ server: net.Server; console: ConsoleBuffer }> {
  rmSync(socketPath, { force: true });
  let peer: net.Socket | null = null;
  const console = new ConsoleBuffer((text) => {
    if (!peer) throw new BootError('NB_HIL_BOOT_FAILED', 'console not connected');
    peer.write(text);
  });
  const server = net.createServer((socket) => {
    peer = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => console.push(d));
    socket.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve({ server, console }));
  });
}

// ----------------------------------------------------------------- QEMU

interface QemuMachine {
  machine: string;
  nicModel: string;
}

const qemuMachines: Record<string, QemuMachine> = {
  'mps2/an385': { machine: 'mps2-an385', nicModel: 'lan9118' },
  qemu_cortex_m3: { machine: 'lm3s6965evb', nicModel: 'stellaris' },
};

export interface BootOptions {
  /** Where sockets and logs go; default hil/.work. */
  workDir?: string;
  /** QEMU user-mode forwards, "tcp:127.0.0.1:HOSTPORT-:BOARDPORT". */
  hostfwd?: string[];
  log?: (line: string) => void;
  /** How long to wait for the emulator to expose the bridge UART. */
  readyMs?: number;
  /** The build puts the bridge on the console UART: QEMU's first UART is the bridge's pty. */
  sharedConsole?: boolean;
  /** Every chunk zephyr.exe writes on stderr (sanitizer reports), across restarts. */
  onStderr?: (chunk: string) => void;
}

/**
 * QEMU command line; the console UART (serial0) on a chardev socket, the bridge (serial1) on a pty.
 * With a shared console (consoleSock null) serial0 is the bridge's pty and serial1 is unused.
 */
export function qemuArgs(board: string, elf: string, monitorSock: string, consoleSock: string | null, hostfwd: string[] = []): string[] {
  const m = qemuMachines[board];
  if (!m) throw new BootError('NB_HIL_UNSUPPORTED', `no QEMU machine for ${board}`);
  const netdev = ['user', 'id=net0', ...hostfwd.map((f) => `hostfwd=${f}`)].join(',');
  const serials = consoleSock
    ? ['-chardev', `socket,id=con,path=${consoleSock}`, '-serial', 'chardev:con', '-serial', 'pty']
    : ['-serial', 'pty', '-serial', 'null'];
  return [
    '-machine', m.machine,
    '-cpu', 'cortex-m3',
    '-nographic', '-vga', 'none',
    '-monitor', `unix:${monitorSock},server,nowait`,
    ...serials,
    '-netdev', netdev,
    '-net', `nic,netdev=net0,model=${m.nicModel}`,
    '-kernel', elf,
  ];
}

async function bootQemu(build: BuildResult, opts: BootOptions): Promise<Target> {
  const name = build.target.name;
  const workDir = opts.workDir ?? path.join(repoRoot, 'hil', '.work');
  const sockDir = socketDir(workDir);
  // Per process: two runs in one checkout must not take over each other's monitor and console.
  const tag = `${build.target.slug}-${process.pid}`;
  const monitorSock = path.join(sockDir, `${tag}-monitor.sock`);
  const consoleSock = path.join(sockDir, `${tag}-console.sock`);
  rmSync(monitorSock, { force: true });
  const shared = opts.sharedConsole === true;
  // A shared console has no line of its own: its text is on the bridge's pty, the suite's to read.
  const consoleSide = shared ? null : await consoleServer(consoleSock);
  const args = qemuArgs(name, build.elf, monitorSock, shared ? null : consoleSock, opts.hostfwd);
  opts.log?.(`[boot ${name}] qemu-system-arm ${args.join(' ')}`);
  const qemu = track(spawn('qemu-system-arm', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let monitor: QemuMonitor | null = null;
  const stop = async () => {
    monitor?.close();
    await terminate(qemu);
    consoleSide?.server.close();
    rmSync(consoleSock, { force: true });
    rmSync(monitorSock, { force: true });
  };
  try {
    const m = await waitForLine(
      qemu,
      new RegExp(`char device redirected to (/dev/pts/\\d+) \\(label serial${shared ? 0 : 1}\\)`),
      opts.readyMs ?? 10_000,
      'qemu-system-arm',
    );
    const bridgePath = m[1] as string;
    monitor = await QemuMonitor.connect(monitorSock);
    const mon = monitor;
    qemu.on('exit', (code, signal) => opts.log?.(`[boot ${name}] qemu exited (${code ?? signal})`));
    return {
      name,
      bridgePath,
      console: consoleSide?.console ?? null,
      resetKind: 'external',
      canSetLink: true,
      sharedConsole: shared,
      reset: async () => {
        await mon.command('system_reset');
      },
      setLink: async (up) => {
        await mon.command(`set_link net0 ${up ? 'on' : 'off'}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ----------------------------------------------------------------- native_sim

/**
 * zephyr.exe with the console UART on stdin/stdout and the bridge UART (uart_1) on a pty of its
 * own, reached through pty_relay.py so that the bridge path survives kill + restart (the reset).
 */
async function bootNativeSim(build: BuildResult, opts: BootOptions): Promise<Target> {
  const name = build.target.name;
  const exe = build.exe;
  if (!exe) throw new BootError('NB_HIL_BOOT_FAILED', `no zephyr.exe in ${build.buildDir}`);
  const relayScript = path.join(repoRoot, 'hil', 'lib', 'pty_relay.py');
  const relay = track(spawn('python3', [relayScript], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const relayLines = createInterface({ input: relay.stdout! });
  const relayEvents: string[] = [];
  const relayWaiters = new Set<() => void>();
  relayLines.on('line', (line) => {
    relayEvents.push(line);
    if (relayEvents.length > 100) relayEvents.shift();
    for (const wake of [...relayWaiters]) wake();
  });
  const relayEvent = (prefix: string, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const i = relayEvents.findIndex((l) => l.startsWith(prefix));
        if (i < 0) return false;
        const [line] = relayEvents.splice(i, 1);
        relayWaiters.delete(check);
        clearTimeout(timer);
        resolve((line as string).slice(prefix.length).trim());
        return true;
      };
      const timer = setTimeout(() => {
        relayWaiters.delete(check);
        reject(new BootError('NB_HIL_TIMEOUT', `pty relay: no "${prefix}" within ${ms} ms`));
      }, ms);
      if (!check()) relayWaiters.add(check);
    });

  let proc: ChildProcess | null = null;
  // Resolves when the current zephyr.exe's output has been read to the end (after 'exit').
  let drained: Promise<void> = Promise.resolve();
  const console = new ConsoleBuffer((text) => {
    if (!proc?.stdin?.writable) throw new BootError('NB_HIL_BOOT_FAILED', 'native_sim not running');
    proc.stdin.write(text);
  });

  const start = async () => {
    // --seed-random: native_sim's fake entropy otherwise starts from the same seed at every boot,
    // so the boot id (random per boot on a real board) could repeat across a kill + restart.
    const args = ['--uart_stdinout', '--uart_1_wait_uart', '--seed-random'];
    opts.log?.(`[boot ${name}] ${path.relative(repoRoot, exe)} ${args.join(' ')}`);
    const child = track(spawn(exe, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    proc = child;
    drained = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (d: string) => console.push(d));
    // Sanitizer reports (overlay-asan.conf) and host-side errors go to stderr: keep them in the log.
    child.stderr!.setEncoding('latin1');
    child.stderr!.on('data', (d: string) => {
      console.push(d);
      opts.onStderr?.(d);
    });
    child.stdin!.on('error', () => undefined);
    const m = await waitForLine(child, /uart_1 connected to pseudotty: (\/dev\/pts\/\d+)/, opts.readyMs ?? 10_000, 'zephyr.exe');
    relay.stdin!.write(`connect ${m[1]}\n`);
    await relayEvent('connected', 5000);
  };
  const stopBoard = async () => {
    if (proc) await terminate(proc);
    proc = null;
    // What it printed while exiting (LeakSanitizer's report) arrives after 'exit': read it all.
    await Promise.race([drained, new Promise((r) => setTimeout(r, 2000))]);
    // the relay notices the vanished pty; drop its notice so the next reset waits for a fresh one
    await relayEvent('disconnected', 2000).catch(() => undefined);
  };
  const stop = async () => {
    await stopBoard();
    relay.stdin!.end();
    await terminate(relay, 1000);
  };
  try {
    const bridgePath = await relayEvent('pty', 5000);
    await start();
    return {
      name,
      bridgePath,
      console,
      resetKind: 'external',
      canSetLink: false,
      reset: async () => {
        await stopBoard();
        await start();
      },
      setLink: async () => {
        throw new BootError('NB_HIL_UNSUPPORTED', 'native_sim has no link to cut');
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ----------------------------------------------------------------- real boards

/**
 * A board on a serial port: nothing to boot. Reset goes through the protocol (REBOOT) on the
 * test's own connection; the console, when given, is read through the serial port as text.
 */
export async function attachBoard(port: string, opts: { console?: string; baudRate?: number } = {}): Promise<Target> {
  if (!existsSync(port)) throw new BootError('NB_HIL_BOOT_FAILED', `no such serial port: ${port}`);
  let consoleBuffer: ConsoleBuffer | null = null;
  let closeConsole = async () => undefined as void;
  if (opts.console) {
    const { SerialPort } = await import('serialport');
    const sp = new SerialPort({ path: opts.console, baudRate: opts.baudRate ?? 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => sp.open((err) => (err ? reject(err) : resolve())));
    const buf = new ConsoleBuffer((text) => sp.write(text));
    sp.on('data', (d: Buffer) => buf.push(d.toString('latin1')));
    consoleBuffer = buf;
    closeConsole = () => new Promise<void>((resolve) => sp.close(() => resolve()));
  }
  return {
    name: `port:${port}`,
    bridgePath: port,
    console: consoleBuffer,
    resetKind: 'protocol',
    canSetLink: false,
    reset: async () => {
      throw new BootError('NB_HIL_UNSUPPORTED', 'a real board is reset with the protocol REBOOT request');
    },
    setLink: async () => {
      throw new BootError('NB_HIL_UNSUPPORTED', 'a real board has no link the runner can cut');
    },
    stop: closeConsole,
  };
}

export async function bootBuild(build: BuildResult, opts: BootOptions = {}): Promise<Target> {
  return build.target.arch === 'host' ? bootNativeSim(build, opts) : bootQemu(build, opts);
}
