/**
 * Workloads the soak runs side by side through the fault proxy, each keeping its own verdicts:
 * socket streams checked by SHA-256, interface changes with an event subscription, and PINGs.
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

/**
 * One stream on a board socketpair (AF_UNIX, SOCK_STREAM): write deterministic chunks on one end,
 * read them on the other, up to streamBytes. Compares SHA-256 of what was read with what the board
 * confirmed (plus, after a failed SEND, the bytes it may or may not have taken).
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
  s.streams++;
  const [a, b] = pair;
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
