/**
 * The control channel between the HIL runner and the suite: JSON lines over a unix socket. The
 * runner owns the target (emulator process, monitor, console); tests ask it to reset the board, cut
 * the link or type into the console. The same suite runs against a real board, where the runner
 * answers that reset goes through the protocol and that there is no link to cut.
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Target } from './boot.js';

/** Facts the runner passes to the suite in the environment. */
export const ENV = {
  /** The board ("native_sim", "mps2/an385", "port:/dev/ttyX"), also for a variant of it. */
  target: 'NETBRIDGE_HIL_TARGET',
  /** The build variant ("shared-console", "asan"; see hil/lib/targets.ts), unset for a plain build. */
  variant: 'NETBRIDGE_HIL_VARIANT',
  bridge: 'NETBRIDGE_HIL_BRIDGE',
  baud: 'NETBRIDGE_HIL_BAUD',
  control: 'NETBRIDGE_HIL_CONTROL',
  expect: 'NETBRIDGE_HIL_EXPECT',
} as const;

/** What the build says the board must report in HELLO (absent for a real board). */
export interface ExpectedFacts {
  board: string;
  zephyrVersion: string;
  firmwareVersion: string | null;
  mtu: number | null;
  window: number | null;
  limits: {
    maxSockets: number | null;
    maxSubscriptions: number | null;
    eventQueue: number | null;
    txQueue: number | null;
    rxBuffer: number | null;
  };
  /** Every CONFIG_NETBRIDGE_* symbol of the build. */
  kconfig: Record<string, string>;
}

export interface Describe {
  target: string;
  resetKind: 'external' | 'protocol';
  canSetLink: boolean;
  hasConsole: boolean;
}

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request line is bounded: anything longer is refused and the connection closed. */
const MAX_LINE = 64 * 1024;

type Request =
  | { id: number; cmd: 'describe' }
  | { id: number; cmd: 'reset' }
  | { id: number; cmd: 'setLink'; up: boolean }
  | { id: number; cmd: 'consoleWrite'; text: string }
  | { id: number; cmd: 'consoleMark' }
  | { id: number; cmd: 'consoleOutput' }
  | { id: number; cmd: 'consoleWaitFor'; source: string; flags: string; ms: number; since?: number };

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface ControlServer {
  path: string;
  /** Requests served and failed, lines refused for length. */
  stats(): { served: number; failed: number; oversize: number };
  close(): Promise<void>;
}

export function startControlServer(socketPath: string, target: Target): Promise<ControlServer> {
  rmSync(socketPath, { force: true });
  const counts = { served: 0, failed: 0, oversize: 0 };
  const requireConsole = () => {
    if (!target.console) throw new ControlError('NB_HIL_UNSUPPORTED', `${target.name} has no console (use --console)`);
    return target.console;
  };
  const handle = async (req: Request): Promise<unknown> => {
    switch (req.cmd) {
      case 'describe':
        return {
          target: target.name,
          resetKind: target.resetKind,
          canSetLink: target.canSetLink,
          hasConsole: target.console !== null,
        } satisfies Describe;
      case 'reset':
        return target.reset();
      case 'setLink':
        return target.setLink(req.up);
      case 'consoleWrite':
        return requireConsole().write(req.text);
      case 'consoleMark':
        return requireConsole().mark();
      case 'consoleOutput':
        return requireConsole().output();
      case 'consoleWaitFor':
        return requireConsole().waitFor(new RegExp(req.source, req.flags), req.ms, req.since);
      default:
        throw new ControlError('NB_HIL_BAD_REQUEST', `unknown command ${JSON.stringify((req as { cmd: unknown }).cmd)}`);
    }
  };
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE && !buffer.includes('\n')) {
        counts.oversize++;
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let req: Request;
        try {
          req = JSON.parse(line) as Request;
        } catch {
          counts.failed++;
          socket.write(`${JSON.stringify({ id: -1, ok: false, error: { code: 'NB_HIL_BAD_REQUEST', message: 'not JSON' } })}\n`);
          continue;
        }
        handle(req).then(
          (result) => {
            counts.served++;
            const reply: Reply = { id: req.id, ok: true, result: result ?? null };
            if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
          },
          (err: unknown) => {
            counts.failed++;
            const e = err as { code?: unknown; message?: unknown };
            const reply: Reply = {
              id: req.id,
              ok: false,
              error: { code: typeof e.code === 'string' ? e.code : 'NB_HIL_ERROR', message: String(e.message ?? err) },
            };
            if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
          },
        );
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () =>
      resolve({
        path: socketPath,
        stats: () => ({ ...counts }),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            rmSync(socketPath, { force: true });
          }),
      }),
    );
  });
}

/** The suite's side: one connection, requests answered in any order by id. */
export class ControlClient {
  private nextId = 1;
  private buffer = '';
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const reply = JSON.parse(this.buffer.slice(0, nl)) as Reply;
        this.buffer = this.buffer.slice(nl + 1);
        const p = this.pending.get(reply.id);
        if (!p) continue;
        this.pending.delete(reply.id);
        if (reply.ok) p.resolve(reply.result);
        else p.reject(new ControlError(reply.error?.code ?? 'NB_HIL_ERROR', reply.error?.message ?? 'control request failed'));
      }
    });
    const failAll = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    socket.on('error', failAll);
    socket.on('close', () => failAll(new ControlError('NB_HIL_CONTROL_CLOSED', 'control channel closed')));
  }

  static connect(socketPath: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath, () => resolve(new ControlClient(socket)));
      socket.once('error', reject);
    });
  }

  /** From the runner's environment; null when the suite runs without the runner. */
  static async fromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ControlClient | null> {
    const p = env[ENV.control];
    return p ? ControlClient.connect(p) : null;
  }

  private call<T>(req: Record<string, unknown> & { cmd: string }): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  describe(): Promise<Describe> {
    return this.call({ cmd: 'describe' });
  }
  /** Resets the board from outside (QEMU system_reset, native_sim kill + restart). */
  reset(): Promise<void> {
    return this.call({ cmd: 'reset' });
  }
  setLink(up: boolean): Promise<void> {
    return this.call({ cmd: 'setLink', up });
  }
  consoleWrite(text: string): Promise<void> {
    return this.call({ cmd: 'consoleWrite', text });
  }
  consoleMark(): Promise<number> {
    return this.call({ cmd: 'consoleMark' });
  }
  consoleOutput(): Promise<string> {
    return this.call({ cmd: 'consoleOutput' });
  }
  consoleWaitFor(re: RegExp, ms: number, since?: number): Promise<string> {
    return this.call({ cmd: 'consoleWaitFor', source: re.source, flags: re.flags, ms, since });
  }
  close(): void {
    this.socket.end();
  }
}

export interface HilEnv {
  target: string;
  variant: string | null;
  bridgePath: string;
  baudRate: number;
  expect: ExpectedFacts | null;
}

/** The target facts the runner exported; a clear error when the suite is run on its own. */
export function hilEnv(env: NodeJS.ProcessEnv = process.env): HilEnv {
  const bridgePath = env[ENV.bridge];
  if (!bridgePath) {
    throw new ControlError(
      'NB_HIL_NO_TARGET',
      `${ENV.bridge} is not set: run the HIL suite through the runner (npm run hil -- --target ...)`,
    );
  }
  const expect = env[ENV.expect];
  return {
    target: env[ENV.target] ?? bridgePath,
    variant: env[ENV.variant] || null,
    bridgePath,
    baudRate: Number(env[ENV.baud] ?? 115200),
    expect: expect ? (JSON.parse(expect) as ExpectedFacts) : null,
  };
}
