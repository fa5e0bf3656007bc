/**
 * Bodies of the session ops (HELLO, PING, STATS, SINK, OVERRUN, LOG), ERR and DONE, per
 * netbridge.cddl. Builders produce body Maps; parsers validate board bodies into plain objects.
 */
import { errnoName } from '../errno.js';
import type { CborMap } from './cbor.js';
import * as f from './fields.js';
import { body } from './messages.js';

// ------------------------------------------------------------------------------------------ HELLO

export interface HelloRequest {
  minVersion: number;
  maxVersion: number;
  schemaHash: Uint8Array;
  /** Largest DATA payload the host accepts. */
  mtu: number;
  /** Host receive window in frames. */
  window: number;
  featureBits?: number;
}

export function helloRequestBody(req: HelloRequest): CborMap {
  return body([
    [1, req.minVersion],
    [2, req.maxVersion],
    [3, req.schemaHash],
    [4, req.mtu],
    [5, req.window],
    [6, req.featureBits],
  ]);
}

export function parseHelloRequest(m: CborMap): HelloRequest {
  const w = 'HELLO request';
  const req: HelloRequest = {
    minVersion: f.uint(m, 1, w),
    maxVersion: f.uint(m, 2, w),
    schemaHash: f.bytes(m, 3, w, 8),
    mtu: f.uint(m, 4, w),
    window: f.uint(m, 5, w),
  };
  const bits = f.optUint(m, 6, w);
  if (bits !== undefined) req.featureBits = bits;
  return req;
}

/** Feature bit numbers (netbridge.cddl `features`) and the names HelloInfo.features uses. */
export const FEATURES = {
  events: 0,
  sockets: 1,
  tls: 2,
  dns: 3,
  ipv4: 4,
  ipv6: 5,
  dhcpv4: 6,
  'shared-console': 7,
} as const;
export type FeatureName = keyof typeof FEATURES;

export function featureNames(bits: number): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((bits >>> bit) & 1) {
      const known = (Object.entries(FEATURES) as [FeatureName, number][]).find(([, b]) => b === bit);
      names.push(known ? known[0] : `bit${bit}`);
    }
  }
  return names;
}

export function featureBitsOf(names: readonly FeatureName[]): number {
  return names.reduce((bits, n) => bits | (1 << FEATURES[n]), 0) >>> 0;
}

export interface BoardLimits {
  maxSockets: number;
  maxSubscriptions: number;
  eventQueue: number;
  txQueue: number;
  rxBuffer: number;
  maxData?: number;
}

/** What the board said about itself in its HELLO response. */
export interface HelloInfo {
  version: number;
  /** 16 hex digits. */
  schemaHash: string;
  mtu: number;
  window: number;
  features: string[];
  featureBits: number;
  board: string;
  zephyrVersion: string;
  firmwareVersion: string;
  /** 16 hex digits, random per boot. */
  bootId: string;
  limits: BoardLimits;
  uptimeMs: number;
}

export function helloResponseBody(info: HelloInfo): CborMap {
  const l = info.limits;
  return body([
    [1, info.version],
    [2, f.fromHex(info.schemaHash)],
    [3, info.mtu],
    [4, info.window],
    [5, info.featureBits],
    [6, info.board],
    [7, info.zephyrVersion],
    [8, info.firmwareVersion],
    [9, f.fromHex(info.bootId)],
    [
      10,
      body([
        [1, l.maxSockets],
        [2, l.maxSubscriptions],
        [3, l.eventQueue],
        [4, l.txQueue],
        [5, l.rxBuffer],
        [6, l.maxData],
      ]),
    ],
    [11, info.uptimeMs],
  ]);
}

export function parseHelloResponse(m: CborMap): HelloInfo {
  const w = 'HELLO response';
  const lm = f.map(m, 10, w);
  const lw = 'HELLO response limits';
  const limits: BoardLimits = {
    maxSockets: f.uint(lm, 1, lw),
    maxSubscriptions: f.uint(lm, 2, lw),
    eventQueue: f.uint(lm, 3, lw),
    txQueue: f.uint(lm, 4, lw),
    rxBuffer: f.uint(lm, 5, lw),
  };
  const maxData = f.optUint(lm, 6, lw);
  if (maxData !== undefined) limits.maxData = maxData;
  const featureBits = f.uint(m, 5, w);
  return {
    version: f.uint(m, 1, w),
    schemaHash: f.toHex(f.bytes(m, 2, w, 8)),
    mtu: f.uint(m, 3, w),
    window: f.uint(m, 4, w),
    featureBits,
    features: featureNames(featureBits),
    board: f.text(m, 6, w),
    zephyrVersion: f.text(m, 7, w),
    firmwareVersion: f.text(m, 8, w),
    bootId: f.toHex(f.bytes(m, 9, w, 8)),
    limits,
    uptimeMs: f.uint(m, 11, w),
  };
}

// ------------------------------------------------------------------------------------------ PING / SINK

export function pingBody(data?: Uint8Array): CborMap {
  return body([[1, data]]);
}

/** PING RSP: the echoed bytes (empty when the request carried none). */
export function parsePingBody(m: CborMap): Uint8Array {
  return f.optBytes(m, 1, 'PING') ?? new Uint8Array(0);
}

export function sinkRequestBody(data: Uint8Array): CborMap {
  return body([[1, data]]);
}

export function parseSinkResponse(m: CborMap): number {
  return f.uint(m, 1, 'SINK response');
}

// ------------------------------------------------------------------------------------------ STATS

/** Board counter keys (netbridge.cddl `counter`), named the way host counters are. */
export const BOARD_COUNTERS = {
  framesIn: 1,
  framesOut: 2,
  crcErrors: 3,
  garbageBytes: 4,
  retransmits: 5,
  duplicates: 6,
  overruns: 7,
  resyncs: 8,
  malformed: 9,
  txDrops: 10,
  eventsSent: 11,
  eventsDropped: 12,
  queueHighWater: 13,
  heapUsed: 14,
  heapFree: 15,
  rxOverflows: 16,
  socketsOpen: 17,
} as const;
export type BoardCounterName = keyof typeof BOARD_COUNTERS;

/** Board counters by name; a key this host does not know appears as `counter<key>`. */
export type BoardStats = Partial<Record<BoardCounterName, number>> & Record<string, number>;

export function statsResponseBody(stats: Partial<Record<BoardCounterName, number>>): CborMap {
  return body(
    (Object.entries(stats) as [BoardCounterName, number][]).map(([name, v]) => [BOARD_COUNTERS[name], v] as const),
  );
}

export function parseStatsResponse(m: CborMap): BoardStats {
  const byKey = new Map<number, string>(Object.entries(BOARD_COUNTERS).map(([n, k]) => [k, n]));
  const out: Record<string, number> = {};
  for (const key of m.keys()) {
    const v = m.get(key);
    // Counters are uint; a 64-bit counter beyond 2^53 is clamped rather than rejected.
    const n = typeof v === 'bigint' ? Number(v) : f.uint(m, key, 'STATS response');
    out[byKey.get(key) ?? `counter${key}`] = n;
  }
  return out as BoardStats;
}

// ------------------------------------------------------------------------------------------ NTF bodies

export const OVERRUN_WHAT = { 1: 'events', 2: 'socket-data', 3: 'notifications' } as const;

export interface Overrun {
  /** 'events' | 'socket-data' | 'notifications', or the raw number for an unknown kind. */
  what: string;
  whatCode: number;
  /** Dropped since the previous OVERRUN. */
  count: number;
  /** Dropped since boot. */
  total: number;
}

export function overrunBody(o: { whatCode: number; count: number; total: number }): CborMap {
  return body([
    [1, o.whatCode],
    [2, o.count],
    [3, o.total],
  ]);
}

export function parseOverrun(m: CborMap): Overrun {
  const w = 'OVERRUN';
  const whatCode = f.uint(m, 1, w);
  return {
    what: (OVERRUN_WHAT as Record<number, string>)[whatCode] ?? String(whatCode),
    whatCode,
    count: f.uint(m, 2, w),
    total: f.uint(m, 3, w),
  };
}

export interface LogLine {
  level: number;
  line: string;
}

export function parseLog(m: CborMap): LogLine {
  return { level: f.uint(m, 1, 'LOG'), line: f.text(m, 2, 'LOG') };
}

// ------------------------------------------------------------------------------------------ ERR / DONE

export interface ErrBody {
  errno: number;
  name: string;
  message?: string;
  field?: number;
  gaiError?: number;
}

export function errBody(e: ErrBody): CborMap {
  return body([
    [1, e.errno],
    [2, e.name],
    [3, e.message],
    [4, e.field],
    [5, e.gaiError],
  ]);
}

export function parseErrBody(m: CborMap): ErrBody {
  const w = 'ERR';
  const errno = f.int(m, 1, w);
  const out: ErrBody = { errno, name: f.optText(m, 2, w) ?? errnoName(errno) };
  const message = f.optText(m, 3, w);
  const field = f.optUint(m, 4, w);
  const gaiError = f.optInt(m, 5, w);
  if (message !== undefined) out.message = message;
  if (field !== undefined) out.field = field;
  if (gaiError !== undefined) out.gaiError = gaiError;
  return out;
}

export interface DumpDone {
  count: number;
  interrupted: boolean;
}

export function doneBody(d: DumpDone): CborMap {
  return body([
    [1, d.count],
    [2, d.interrupted],
  ]);
}

export function parseDone(m: CborMap): DumpDone {
  return { count: f.uint(m, 1, 'DONE'), interrupted: f.bool(m, 2, 'DONE') };
}
