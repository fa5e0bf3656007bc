/**
 * Measurements against a running board (QEMU): sessions on its bridge UART, directly or through
 * the fault-injection proxy used as a pure 8N1 baud-rate limiter; null-request round trips, event
 * delays (board notify -> host callback), bulk goodput and the host CPU they cost.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Target } from '../../hil/lib/boot.js';
import { FaultProxy } from '../../hil/lib/fault-proxy.js';
import { Kind, Op, encodeMessage } from '../../src/codec/messages.js';
import { helloRequestBody } from '../../src/codec/session-bodies.js';
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, SCHEMA_HASH } from '../../src/codec/schema.js';
import { DEFAULT_MTU, FrameType, encodeWire } from '../../src/framing/frame.js';
import { EventCallback, NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV4_ADDR_DEL, NetMgmt, type NetEvent } from '../../src/netmgmt/index.js';
import { Client } from '../../src/session/client.js';
import { openSerialPort } from '../../src/transport/serial.js';
import { createNetApi } from '../../src/sockets/net.js';
import { largestSinkPayload } from './codec.js';
import { type CpuSpan, measureCpu, pattern, percentile } from './util.js';

export interface Session {
  client: Client;
  /** Line rate in bytes/s (8N1), or null when unshaped. */
  lineRate: number | null;
  close(): Promise<void>;
}

/**
 * A session on the board's bridge UART; with `baud`, through the proxy's 8N1 limiter both ways,
 * the client told the baud rate as a user of a UART behind any transport would tell it. Unshaped,
 * the line is QEMU's pty, whose rate is unknown (what Client.open({ path }) assumes for a pty).
 */
export async function openSession(target: Target, baud: number | null): Promise<Session> {
  const port: Duplex = await openSerialPort(target.bridgePath);
  let proxy: FaultProxy | null = null;
  let transport: Duplex = port;
  if (baud !== null) {
    proxy = new FaultProxy(port, { toBoard: { baudRate: baud }, toHost: { baudRate: baud } });
    transport = proxy.host;
  }
  let client: Client;
  try {
    client = await Client.open({ transport, timeout: 30_000, ...(baud === null ? {} : { baudRate: baud }) });
  } catch (err) {
    if (proxy) await proxy.close();
    else port.destroy();
    throw err;
  }
  return {
    client,
    lineRate: baud === null ? null : baud / 10,
    close: async () => {
      await client.close();
      if (proxy) await proxy.close();
      else await import('../../src/transport/serial.js').then((m) => m.closeTransport(port));
    },
  };
}

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
}

function summarize(samples: number[]): Percentiles {
  return { n: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Round trip of a PING without payload, one at a time, ms. */
export async function nullRoundTrip(client: Client, count: number): Promise<Percentiles> {
  for (let i = 0; i < 5; i++) await client.ping(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await client.ping();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

// ------------------------------------------------------------------------------- board clock

/** One reading of the board clock: host time = board uptime + offset (± halfWidth) around `at`. */
export interface ClockSample {
  at: number;
  offset: number;
  halfWidth: number;
}

/** Wire bytes of a message in a DATA frame (for the line time it takes at a baud rate). */
function wireBytes(kind: Kind, op: Op, id: number, b: Map<number, unknown>): number {
  return encodeWire({ type: FrameType.DATA, seq: 0, ack: 0, win: 8, payload: encodeMessage({ kind, op, id, body: b as never }) }).length;
}

const helloBody = () =>
  helloRequestBody({ minVersion: PROTOCOL_VERSION_MIN, maxVersion: PROTOCOL_VERSION_MAX, schemaHash: SCHEMA_HASH, mtu: DEFAULT_MTU, window: 8 });

/**
 * Reads the board clock with a HELLO request (its answer carries the uptime): the board read its
 * clock after the request was on the line and before the answer was, within one tick.
 */
export async function clockSample(s: Session, tickMs: number): Promise<ClockSample> {
  const req = helloBody();
  const t0 = performance.now();
  const rsp = await s.client.request(Op.HELLO, req);
  const t1 = performance.now();
  const uptime = rsp.get(11);
  if (typeof uptime !== 'number' && typeof uptime !== 'bigint') throw new Error('HELLO answer without uptime');
  // The limiter may run a few ms ahead of the nominal rate (its token bucket): allow for it.
  const lineMs = (bytes: number) => (s.lineRate === null ? 0 : Math.max(0, (bytes * 1000) / s.lineRate - 5));
  const earliest = t0 + lineMs(wireBytes(Kind.REQ, Op.HELLO, 1000, req));
  const latest = Math.max(earliest, t1 - lineMs(wireBytes(Kind.RSP, Op.HELLO, 1000, rsp)));
  return {
    at: (earliest + latest) / 2,
    offset: (earliest + latest) / 2 - Number(uptime) - tickMs / 2,
    halfWidth: (latest - earliest) / 2 + tickMs / 2,
  };
}

/** The offset at host time t, interpolated between the readings around it (the clocks drift apart). */
function offsetAt(samples: readonly ClockSample[], t: number): { offset: number; halfWidth: number } {
  let i = samples.findIndex((x) => x.at > t);
  if (i <= 0) i = i === 0 ? 1 : samples.length - 1;
  const a = samples[i - 1] as ClockSample;
  const b = samples[i] as ClockSample;
  const f = b.at === a.at ? 0 : Math.min(1, Math.max(0, (t - a.at) / (b.at - a.at)));
  return { offset: a.offset + f * (b.offset - a.offset), halfWidth: Math.max(a.halfWidth, b.halfWidth) };
}

export interface EventDelay extends Percentiles {
  /** Median half-width of the uncertainty of each delay, ms (clock reading and the board's tick). */
  uncertaintyMs: number;
  /** How fast the board clock drifted from the host's over the run, ms per s (QEMU's guest time). */
  driftMsPerS: number;
  events: number;
  /** Host CPU per 1,000 events: with the events subscribed, less the same requests without. */
  cpuPer1000Events: number;
  /** Host CPU per 1,000 events counting the requests that raised them. */
  cpuPer1000EventsGross: number;
}

/**
 * Raises IPv4 ADDR_ADD / ADDR_DEL events on the board (one request each) and records, per event,
 * host callback time - board notify time, reading the board clock between pairs (it drifts). The
 * same requests without a subscription give the CPU the requests alone cost.
 */
export async function eventDelays(s: Session, pairs: number, tickMs: number): Promise<EventDelay> {
  const nm = new NetMgmt(s.client);
  const ifaces = await nm.ifaceDump();
  const iface = ifaces.find((i) => !i.loopback && i.l2 === 'ETHERNET') ?? ifaces[0];
  if (!iface) throw new Error('the board has no interface to add addresses to');
  const addr = (i: number) => `192.0.2.${1 + (i % 200)}`;
  const clock: ClockSample[] = [];
  const churn = async (record: boolean) => {
    for (let i = 0; i < pairs; i++) {
      const c = await clockSample(s, tickMs);
      if (record) clock.push(c);
      await nm.addrAdd(iface.index, addr(i));
      await nm.addrDel(iface.index, addr(i));
    }
    if (record) clock.push(await clockSample(s, tickMs));
  };
  // Baseline: the same requests, nobody subscribed.
  const bare = await measureCpu(() => churn(false));

  const received: { event: NetEvent; at: number }[] = [];
  const cb = new EventCallback(
    (event) => {
      received.push({ event, at: performance.now() });
    },
    [NET_EVENT_IPV4_ADDR_ADD, NET_EVENT_IPV4_ADDR_DEL],
  );
  await nm.addEventCallback(cb);
  const subscribed = await measureCpu(() => churn(true));
  await new Promise((r) => setTimeout(r, 200)); // the last events may trail the last answer
  await nm.delEventCallback(cb);

  const delays: number[] = [];
  const widths: number[] = [];
  for (const { event, at } of received) {
    const o = offsetAt(clock, at);
    delays.push(at - (event.uptimeMs + o.offset));
    widths.push(o.halfWidth);
  }
  const first = clock[0];
  const last = clock[clock.length - 1];
  const drift = first && last && last.at > first.at ? ((last.offset - first.offset) * 1000) / (last.at - first.at) : 0;
  const events = received.length;
  const per1000 = (cpu: number) => (events > 0 ? (cpu * 1000) / events : Number.NaN);
  return {
    ...summarize(delays),
    uncertaintyMs: percentile(widths, 50),
    driftMsPerS: drift,
    events,
    cpuPer1000Events: per1000(subscribed.span.cpuSeconds - bare.span.cpuSeconds),
    cpuPer1000EventsGross: per1000(subscribed.span.cpuSeconds),
  };
}

/** Waits until the board's Ethernet interface has an IPv4 address (DHCP from QEMU's user network). */
export async function waitForIpv4(s: Session, ms: number): Promise<boolean> {
  const nm = new NetMgmt(s.client);
  const deadline = performance.now() + ms;
  for (;;) {
    const ifaces = await nm.ifaceDump();
    if (ifaces.some((i) => !i.loopback && i.addresses.some((a) => a.family === 4))) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ------------------------------------------------------------------------------- goodput

export interface Goodput {
  direction: 'host->board' | 'board->host';
  method: string;
  bytes: number;
  seconds: number;
  bytesPerSec: number;
  cpu: CpuSpan;
  /** Retransmissions the host link counted during the transfer (a clean line has none). */
  retransmits: number;
}

async function timed(
  s: Session,
  direction: Goodput['direction'],
  method: string,
  bytes: number,
  job: () => Promise<void>,
): Promise<Goodput> {
  const rtx0 = s.client.counters().retransmits;
  const t0 = performance.now();
  const { span } = await measureCpu(job);
  const seconds = (performance.now() - t0) / 1000;
  return { direction, method, bytes, seconds, bytesPerSec: bytes / seconds, cpu: span, retransmits: s.client.counters().retransmits - rtx0 };
}

/** Keeps `depth` requests in flight until `total` bytes were carried. */
async function pipeline(total: number, chunk: number, depth: number, one: (offset: number, n: number) => Promise<void>): Promise<void> {
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  for (let off = 0; off < total && failure === undefined; off += chunk) {
    const p: Promise<void> = one(off, Math.min(chunk, total - off)).catch((e: unknown) => {
      failure ??= e;
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= depth) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  if (failure !== undefined) throw failure;
}

function messageChunk(s: Session): number {
  return largestSinkPayload(Math.min(s.client.info.mtu, DEFAULT_MTU));
}

/** Host -> board: SINK requests (the board counts and discards), pipelined. */
export function sinkGoodput(s: Session, total: number): Promise<Goodput> {
  const chunk = messageChunk(s);
  const data = pattern(chunk, 5);
  return timed(s, 'host->board', `SINK requests of ${chunk} B`, total, () =>
    pipeline(total, chunk, 2 * s.client.info.window + 2, async (_off, n) => {
      const got = await s.client.sink(data.subarray(0, n), { timeout: 60_000 });
      if (got !== n) throw new Error(`SINK: board counted ${got} of ${n} bytes`);
    }),
  );
}

/** Board -> host: PING echoes (the request carries the same bytes the other way at the same time). */
export function pingGoodput(s: Session, total: number): Promise<Goodput> {
  const chunk = messageChunk(s) - 8; // the echo may not exceed the host's MTU either
  const data = pattern(chunk, 6);
  return timed(s, 'board->host', `PING echoes of ${chunk} B`, total, () =>
    pipeline(total, chunk, 2 * s.client.info.window + 2, async (_off, n) => {
      const { data: echoed } = await s.client.ping(data.subarray(0, n), { timeout: 60_000 });
      if (echoed.length !== n) throw new Error(`PING: ${echoed.length} of ${n} bytes echoed`);
    }),
  );
}

/**
 * A TCP connection from a board socket to a server on this machine (QEMU's user network: the
 * board reaches it as 10.0.2.2). Host -> board: the host writes into the board socket (SEND over
 * the line), the server counts; board -> host: the server writes, the board pushes (SOCK_DATA).
 */
export async function tcpGoodput(s: Session, total: number): Promise<Goodput[]> {
  let received = 0;
  let onReceived: (() => void) | null = null;
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => {
    server.once('connection', (c: net.Socket) => {
      c.on('data', (d: Buffer) => {
        received += d.length;
        onReceived?.();
      });
      c.on('error', () => undefined);
      resolve(c);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const api = createNetApi(s.client);
  const sock = await api.connectAsync({ host: '10.0.2.2', port, readableHighWaterMark: 64 * 1024, timeout: 30_000 });
  try {
    const peer = await accepted;
    const up = await timed(s, 'host->board', 'TCP: board socket send, host server receives', total, async () => {
      const data = Buffer.from(pattern(total, 7));
      const done = new Promise<void>((resolve) => {
        onReceived = () => {
          if (received >= total) resolve();
        };
      });
      sock.write(data);
      await done;
    });
    let got = 0;
    const down = await timed(s, 'board->host', 'TCP: host server sends, board socket pushes', total, async () => {
      const done = new Promise<void>((resolve, reject) => {
        sock.on('data', (d: Buffer) => {
          got += d.length;
          if (got >= total) resolve();
        });
        sock.once('error', reject);
      });
      peer.write(Buffer.from(pattern(total, 8)));
      await done;
    });
    return [up, down];
  } finally {
    sock.destroy();
    void accepted.then((c) => c.destroy());
    server.close();
  }
}
