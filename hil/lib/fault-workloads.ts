/**
 * Workloads the soak runs side by side through the fault proxy, each keeping its own verdicts:
 * socket streams checked by SHA-256 (on a board socketpair, and over TCP through the board's
 * network stack), interface changes with an event subscription, and PINGs.
 * A workload never throws on a typed NetbridgeError (that is an allowed outcome, counted); any
 * other error, a wrong byte or a late call is a violation, recorded with what happened.
 */
import { createHash } from 'node:crypto';
import {
  BoardError,
  type Client,
  NetbridgeError,
  type NetMgmt,
  NET_EVENT_IPV4_ADDR_ADD,
  NET_EVENT_IPV4_ADDR_DEL,
  sockets,
} from '../../src/index.js';
import { pattern } from './suite.js';

export interface Verdicts {
  /** Things that must never happen: wrong data, untyped errors, calls that outlive their timeout. */
  violations: string[];
  /** Typed failures by code. */
  typed: Record<string, number>;
  calls: number;
  lateCalls: number;
}

export function newVerdicts(): Verdicts {
  return { violations: [], typed: {}, calls: 0, lateCalls: 0 };
}

const MAX_VIOLATIONS_KEPT = 50;

function violation(v: Verdicts, what: string): void {
  if (v.violations.length < MAX_VIOLATIONS_KEPT) v.violations.push(what);
}

/**
 * Runs one call with a host deadline check: it must settle within timeoutMs + slack. A typed error
 * is counted and returned as undefined; anything else is a violation.
 */
export async function call<T>(v: Verdicts, what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  v.calls++;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NetbridgeError) {
      const key = err instanceof BoardError ? `${what} ${err.errnoName}` : err.code;
      v.typed[key] = (v.typed[key] ?? 0) + 1;
      return undefined;
    }
    violation(v, `${what}: untyped error ${String(err)}`);
    return undefined;
  } finally {
    const took = performance.now() - t0;
    if (took > timeoutMs + 2000) {
      v.lateCalls++;
      violation(v, `${what}: settled after ${took.toFixed(0)} ms, timeout ${timeoutMs} ms`);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface StreamStats {
  streams: number;
  /** Streams whose every byte arrived once, in order (SHA-256 equal) and that closed cleanly. */
  intact: number;
  /** Streams that ended with a typed error, what arrived being a prefix of what was written. */
  endedTyped: number;
  bytesConfirmed: number;
  bytesReceived: number;
  /** Streams that could not be opened (typed error). */
  openFailures: number;
}

const CALL_MS = 8000;

export function newStreamStats(): StreamStats {
  return { streams: 0, intact: 0, endedTyped: 0, bytesConfirmed: 0, bytesReceived: 0, openFailures: 0 };
}

/**
 * One stream on a board socketpair (AF_UNIX, SOCK_STREAM): write deterministic chunks on one end,
 * read them on the other, up to streamBytes (see pumpStream).
 */
export async function socketStream(
  client: Client,
  v: Verdicts,
  s: StreamStats,
  streamBytes: number,
  seed: number,
  stop: () => boolean,
): Promise<void> {
  const zs = new sockets.Sockets(client);
  const pair = await call(v, 'socketpair', CALL_MS, () =>
    zs.socketpair(sockets.AF_UNIX, sockets.SOCK_STREAM, 0, { timeout: CALL_MS }),
  );
  if (!pair) {
    s.openFailures++;
    await sleep(200);
    return;
  }
  await pumpStream(zs, v, s, pair, streamBytes, seed, stop);
}

/** Where a board TCP stream connects: its own address and a port from a range it cycles through. */
export interface TcpEndpoint {
  /** 127.0.0.1 on a board with a loopback interface, else its own IPv4 address. */
  address: string;
  /** First port of the range; each stream takes the next (TIME_WAIT keeps a closed one busy). */
  basePort: number;
  ports: number;
}

/**
 * A connected TCP pair through the board's network stack: a listener on the wildcard address,
 * a client connected to `ep.address`, the accepted socket; the listener is closed once accepted.
 * Returns [client, accepted], or undefined after a typed failure (closing what it opened).
 */
async function tcpPair(zs: sockets.Sockets, v: Verdicts, ep: TcpEndpoint, port: number): Promise<[number, number] | undefined> {
  const opened: number[] = [];
  const closeAll = async () => {
    for (const fd of opened) await call(v, 'close', CALL_MS, () => zs.close(fd, { timeout: CALL_MS }));
  };
  const l = await call(v, 'socket', CALL_MS, () => zs.socket(sockets.AF_INET, sockets.SOCK_STREAM, sockets.IPPROTO_TCP, { timeout: CALL_MS }));
  if (l === undefined) return undefined;
  opened.push(l);
  const listening = await call(v, 'listen', CALL_MS, async () => {
    await zs.setsockopt(l, sockets.SOL_SOCKET, sockets.SO_REUSEADDR, true, { timeout: CALL_MS });
    await zs.bind(l, { family: sockets.AF_INET, address: '0.0.0.0', port }, { timeout: CALL_MS });
    await zs.listen(l, 1, { timeout: CALL_MS });
    return true;
  });
  const c = listening
    ? await call(v, 'socket', CALL_MS, () => zs.socket(sockets.AF_INET, sockets.SOCK_STREAM, sockets.IPPROTO_TCP, { timeout: CALL_MS }))
    : undefined;
  if (c === undefined) {
    await closeAll();
    return undefined;
  }
  opened.push(c);
  const connected = await call(v, 'connect', CALL_MS, async () => {
    await zs.connect(c, { family: sockets.AF_INET, address: ep.address, port }, { timeout: CALL_MS });
    return true;
  });
  const accepted = connected && (await call(v, 'accept', CALL_MS, () => zs.accept(l, { boardTimeout: 3000, timeout: CALL_MS })));
  if (!accepted) {
    await closeAll();
    return undefined;
  }
  await call(v, 'close', CALL_MS, () => zs.close(l, { timeout: CALL_MS }));
  return [c, accepted.fd];
}

/**
 * One TCP stream through the board's network stack (a board client to a board server), checked
 * like a socketpair stream (see pumpStream).
 */
export async function tcpStream(
  client: Client,
  v: Verdicts,
  s: StreamStats,
  ep: TcpEndpoint,
  streamBytes: number,
  seed: number,
  stop: () => boolean,
): Promise<void> {
  const zs = new sockets.Sockets(client);
  const pair = await tcpPair(zs, v, ep, ep.basePort + (seed % ep.ports));
  if (!pair) {
    s.openFailures++;
    await sleep(500);
    return;
  }
  await pumpStream(zs, v, s, pair, streamBytes, seed, stop);
}

/**
 * Whether TCP through the board's stack carries data: one connection, 64 bytes one way. Returns
 * null when it does, else why not (a typed error, or no data within the board's receive timeout).
 */
export async function probeTcp(client: Client, ep: TcpEndpoint): Promise<string | null> {
  const v = newVerdicts();
  const zs = new sockets.Sockets(client);
  const pair = await tcpPair(zs, v, ep, ep.basePort + ep.ports); // a port the streams never use
  if (!pair) return `no connection: ${JSON.stringify(v.typed)}${v.violations.length ? ` ${v.violations.join('; ')}` : ''}`;
  const probe = pattern(64, 4242);
  try {
    const sent = await call(v, 'send', CALL_MS, () => zs.send(pair[0], probe, 0, { timeout: CALL_MS }));
    if (sent !== probe.length) return `send: ${sent ?? JSON.stringify(v.typed)}`;
    const got: Uint8Array[] = [];
    let n = 0;
    while (n < probe.length) {
      const data = await call(v, 'recv', CALL_MS, () => zs.recv(pair[1], probe.length - n, 0, { boardTimeout: 3000, timeout: CALL_MS }));
      if (!data || data.length === 0) return `no data: ${n} of ${probe.length} bytes arrived (${JSON.stringify(v.typed)})`;
      got.push(data);
      n += data.length;
    }
    return Buffer.concat(got).equals(Buffer.from(probe)) ? null : 'data differs';
  } finally {
    for (const fd of pair) await call(v, 'close', CALL_MS, () => zs.close(fd, { timeout: CALL_MS }));
  }
}

/**
 * Writes deterministic chunks on `a` and reads them on `b` up to streamBytes, then closes both.
 * Compares SHA-256 of what was read with what the board confirmed (plus, after a failed SEND, the
 * bytes it may or may not have taken).
 */
async function pumpStream(
  zs: sockets.Sockets,
  v: Verdicts,
  s: StreamStats,
  [a, b]: [number, number],
  streamBytes: number,
  seed: number,
  stop: () => boolean,
): Promise<void> {
  s.streams++;
  const sent: Uint8Array[] = [];
  let confirmed = 0;
  let inDoubt: Uint8Array | undefined;
  const received: Uint8Array[] = [];
  let got = 0;
  let failed = false;
  let chunkNo = 0;
  while (confirmed < streamBytes && !stop()) {
    const chunk = pattern(1 + ((seed + chunkNo * 97) % 700), seed * 1000 + chunkNo);
    chunkNo++;
    const n = await call(v, 'send', CALL_MS, () => zs.send(a, chunk, 0, { timeout: CALL_MS }));
    if (n === undefined) {
      inDoubt = chunk; // the board may have taken some of it before the answer was lost
      failed = true;
      break;
    }
    sent.push(chunk.subarray(0, n));
    confirmed += n;
    // Read back what was confirmed (the socketpair buffer is small: keep it drained).
    while (got < confirmed) {
      const data = await call(v, 'recv', CALL_MS, () =>
        zs.recv(b, confirmed - got, 0, { boardTimeout: 2000, timeout: CALL_MS }),
      );
      if (data === undefined) {
        failed = true;
        break;
      }
      if (data.length === 0) {
        violation(v, `stream ${seed}: EOF after ${got} of ${confirmed} bytes without an error`);
        failed = true;
        break;
      }
      received.push(data);
      got += data.length;
    }
    if (failed) break;
  }
  const all = Buffer.concat(received);
  s.bytesConfirmed += confirmed;
  s.bytesReceived += got;
  const written = Buffer.concat([...sent, ...(inDoubt ? [inDoubt] : [])]);
  if (!failed) {
    if (got !== confirmed || sha(all) !== sha(Buffer.concat(sent))) {
      violation(v, `stream ${seed}: ${got} bytes read, ${confirmed} confirmed, SHA-256 differs`);
    } else s.intact++;
  } else {
    // Exactly once and in order up to the error: what arrived is a prefix of what was written.
    const prefix = written.subarray(0, all.length);
    if (all.length > written.length || sha(all) !== sha(prefix)) {
      violation(v, `stream ${seed}: ${all.length} bytes read are not a prefix of the ${written.length} written`);
    } else s.endedTyped++;
  }
  // Close both ends; after a reboot the fds are gone already (typed errors, counted).
  await call(v, 'close', CALL_MS, () => zs.close(a, { timeout: CALL_MS }));
  await call(v, 'close', CALL_MS, () => zs.close(b, { timeout: CALL_MS }));
}

export interface ChurnStats {
  added: number;
  deleted: number;
  eventsSeen: number;
}

/**
 * Removes the address added `keep` rounds ago, then adds a new one: at most `keep` extra
 * addresses at a time (the interface's address table is small, CONFIG_NET_IF_MAX_IPV4_ADDR).
 */
export async function ifaceChurn(
  nm: NetMgmt,
  v: Verdicts,
  c: ChurnStats,
  ifindex: number,
  round: number,
  keep = 1,
): Promise<void> {
  const addr = (i: number) => `192.0.2.${100 + (i % 50)}`;
  if (round >= keep) {
    const deleted = await call(v, 'addrDel', CALL_MS, async () => {
      await nm.addrDel(ifindex, addr(round - keep), { timeout: CALL_MS });
      return true;
    });
    if (deleted) c.deleted++;
  }
  const added = await call(v, 'addrAdd', CALL_MS, async () => {
    await nm.addrAdd(ifindex, addr(round), { prefixLen: 24, timeout: CALL_MS });
    return true;
  });
  if (added) c.added++;
}

/** Removes every address ifaceChurn may have left (errors for absent ones are expected). */
export async function ifaceCleanup(nm: NetMgmt, v: Verdicts, ifindex: number): Promise<void> {
  const dump = await call(v, 'ifaceDump', CALL_MS, () => nm.ifaceDump(ifindex, { timeout: CALL_MS }));
  for (const a of dump?.[0]?.addresses ?? []) {
    if (/^192\.0\.2\.(1[0-4]\d)$/.test(a.address)) {
      await call(v, 'addrDel', CALL_MS, () => nm.addrDel(ifindex, a.address, { timeout: CALL_MS }));
    }
  }
}

export const CHURN_EVENTS = NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL;

/** A PING whose echo must be exact. */
export async function checkedPing(client: Client, v: Verdicts, n: number): Promise<boolean> {
  const payload = pattern(16 + (n % 300), 500_000 + n);
  const res = await call(v, 'ping', CALL_MS, () => client.ping(payload, { timeout: CALL_MS }));
  if (res === undefined) return false;
  if (!Buffer.from(res.data).equals(Buffer.from(payload))) {
    violation(v, `ping ${n}: echo differs`);
    return false;
  }
  return true;
}
