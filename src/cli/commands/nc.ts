/**
 * `netbridge nc`: netcat through the board's sockets. stdin goes to the board socket, what arrives
 * goes to stdout. Exit status as nc's: 0 when the conversation ends normally, 1 when the
 * connection or a transfer fails; 130/143 on SIGINT/SIGTERM.
 *
 *   nc HOST PORT          TCP client; exits when the peer closes (-N: stdin EOF half-closes)
 *   nc -l [HOST] PORT     TCP: accept one connection on the board, then as above
 *   nc -u HOST PORT       UDP: each stdin chunk is a datagram; replies go to stdout; exits
 *                         --wait after stdin EOF
 *   nc -u -l [HOST] PORT  UDP: print datagrams; stdin goes to the last sender; until Ctrl-C
 */
import type { Readable, Writable } from 'node:stream';
import { createNetApi, type NetApi } from '../../sockets/net.js';
import type { BoardSocket } from '../../sockets/streams.js';
import { openSession } from '../connect.js';
import { type Ctx, type SignalName, untilSignal } from '../context.js';
import { EXIT, UsageError } from '../errors.js';

export interface NcTarget {
  listen: boolean;
  /** -N: shutdown(SHUT_WR) on stdin EOF. */
  halfClose: boolean;
  udp: boolean;
  host: string | undefined;
  port: number;
}

export interface NcOptions {
  listen: boolean;
  halfClose: boolean;
  udp: boolean;
  /** UDP client: how long to wait for replies after stdin EOF, ms. */
  wait: number;
}

function parsePort(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw new UsageError(`port must be 1..65535, not "${s}"`);
  return Number(s);
}

/** nc's positional forms: HOST PORT; with -l, PORT or HOST PORT (bind address). */
export function parseNcArgs(args: string[], o: Pick<NcOptions, 'listen' | 'udp' | 'halfClose'>): NcTarget {
  const [a, b, ...extra] = args;
  if (extra.length > 0 || a === undefined) throw new UsageError('usage: netbridge nc [-u] [-l] HOST PORT (with -l: [HOST] PORT)');
  if (b === undefined) {
    if (!o.listen) throw new UsageError('nc needs HOST and PORT');
    return { listen: true, udp: o.udp, halfClose: o.halfClose, host: undefined, port: parsePort(a) };
  }
  return { listen: o.listen, udp: o.udp, halfClose: o.halfClose, host: a, port: parsePort(b) };
}

const fromSignal = (s: SignalName) => (s === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);

/**
 * Pipes stdin <-> a connected board TCP socket until the peer closes; resolves with the exit status.
 * Like nc, stdin EOF leaves the connection open unless -N asks for a shutdown(SHUT_WR).
 */
function converse(ctx: Ctx, sock: BoardSocket, halfClose: boolean, signal: Promise<SignalName>): Promise<number> {
  const stdin: Readable = ctx.io.stdin;
  const stdout: Writable = ctx.io.stdout;
  return new Promise<number>((resolve) => {
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      stdin.unpipe(sock);
      stdin.pause();
      sock.destroy();
      resolve(code);
    };
    sock.on('data', (chunk: Buffer) => {
      if (!stdout.write(chunk)) {
        sock.pause();
        stdout.once('drain', () => sock.resume());
      }
    });
    sock.on('error', (err) => {
      ctx.io.stderr.write(`netbridge: ${err.message}${'code' in err ? ` (${String(err.code)})` : ''}\n`);
      finish(EXIT.failure);
    });
    // The peer closed its side: the conversation is over (what we still had to send is moot).
    sock.on('end', () => finish(EXIT.ok));
    sock.on('close', () => finish(EXIT.ok));
    stdin.pipe(sock, { end: halfClose });
    void signal.then((s) => finish(fromSignal(s)));
  });
}

async function tcp(ctx: Ctx, net: NetApi, t: NcTarget, signal: Promise<SignalName>): Promise<number> {
  if (!t.listen) {
    // connect() hands the socket over at once, so an 'error' listener is in place before any failure.
    const sock = net.connect({ host: t.host as string, port: t.port, allowHalfOpen: true });
    const connected = new Promise<BoardSocket>((resolve, reject) => {
      sock.once('connect', () => resolve(sock));
      sock.once('error', reject);
    });
    const first = await Promise.race([connected, signal]);
    if (typeof first === 'string') {
      sock.destroy();
      return fromSignal(first);
    }
    sock.removeAllListeners('error');
    ctx.debug(`connected to ${t.host}:${t.port} from the board`);
    return converse(ctx, first, t.halfClose, signal);
  }
  const server = net.createServer({ allowHalfOpen: true });
  server.on('error', () => {}); // listen() rejects with it; later errors end the wait below
  const accepted = new Promise<BoardSocket>((resolve) => server.once('connection', resolve));
  try {
    await server.listen({ port: t.port, ...(t.host !== undefined ? { host: t.host } : {}) });
    const a = server.address();
    ctx.debug(`listening on the board at ${a?.address}:${a?.port}`);
    const first = await Promise.race([accepted, signal]);
    if (typeof first === 'string') return fromSignal(first);
    ctx.debug(`connection from ${first.remoteAddress}:${first.remotePort}`);
    await server.close(); // like nc: one connection
    return await converse(ctx, first, t.halfClose, signal);
  } finally {
    await server.close().catch(() => {});
  }
}

async function udp(ctx: Ctx, net: NetApi, t: NcTarget, o: NcOptions, signal: Promise<SignalName>): Promise<number> {
  const v6 = t.host !== undefined && t.host.includes(':');
  const sock = net.createSocket(v6 ? 'udp6' : 'udp4');
  let failed: Error | undefined;
  let peer: { address: string; port: number } | undefined = t.listen ? undefined : { address: t.host as string, port: t.port };
  sock.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
    if (t.listen) peer = { address: rinfo.address, port: rinfo.port };
    ctx.io.stdout.write(msg);
  });
  const errored = new Promise<number>((resolve) =>
    sock.on('error', (err: Error) => {
      failed = err;
      resolve(EXIT.failure);
    }),
  );
  try {
    if (t.listen) {
      await sock.bind(t.port, t.host);
      ctx.debug(`UDP bound on the board at ${t.host ?? '0.0.0.0'}:${t.port}`);
    }
    const limit = net.sockets.dataLimit();
    const stdinDone = (async () => {
      for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; off += limit) {
          if (!peer) {
            ctx.progress('netbridge: no datagram received yet: nowhere to send stdin');
            break;
          }
          await sock.send(chunk.subarray(off, off + limit), peer.port, peer.address);
        }
      }
    })();
    const afterEof = stdinDone.then(async () => {
      if (t.listen) await new Promise(() => {}); // a listener runs until interrupted
      await new Promise((r) => setTimeout(r, o.wait));
      return EXIT.ok;
    });
    const code = await Promise.race([afterEof, errored, signal.then(fromSignal)]);
    if (failed) ctx.io.stderr.write(`netbridge: ${failed.message}\n`);
    return code;
  } finally {
    await sock.close();
  }
}

export async function runNc(ctx: Ctx, args: string[], o: NcOptions): Promise<number> {
  const t = parseNcArgs(args, o);
  const stop = untilSignal();
  try {
    const s = await openSession(ctx);
    try {
      const net = createNetApi(s.client);
      // Errors before the conversation (refused, no route, EADDRINUSE) throw: one line, status 1.
      return t.udp ? await udp(ctx, net, t, o, stop.signal) : await tcp(ctx, net, t, stop.signal);
    } finally {
      await s.close();
    }
  } finally {
    stop.dispose();
  }
}
