/** Pure formatting of command output: tables and the human views of board facts. */
import type { BoardStats, HelloInfo } from '../codec/session-bodies.js';
import type { ClientCounters } from '../session/client.js';
import { stripAnsi } from './style.js';

/** Left-aligned columns separated by two spaces; cells may carry colour (width ignores it). */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => stripAnsi(r[i] ?? '').length)));
  return all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - stripAnsi(cell).length)))
      .join('  ')
      .trimEnd(),
  );
}

/** "key   value" lines with the keys padded to one width. */
export function formatPairs(pairs: [string, string][]): string[] {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export interface InfoReport {
  port: string;
  info: HelloInfo;
  /** Host-side link and session counters. */
  host: ClientCounters;
  /** The board's STATS, or null when it would not give them (error in boardError). */
  board: BoardStats | null;
  boardError: string | null;
}

const countersShown: (keyof ClientCounters)[] = [
  'framesIn',
  'framesOut',
  'retransmits',
  'crcErrors',
  'garbageBytes',
  'duplicates',
  'malformed',
  'resyncs',
  'overruns',
];

function counterList(c: Record<string, number | undefined>, keys: string[]): string {
  return keys
    .filter((k) => c[k] !== undefined)
    .map((k) => `${k} ${c[k]}`)
    .join(', ');
}

export function formatInfo(r: InfoReport): string[] {
  const i = r.info;
  const l = i.limits;
  const limits = [
    `sockets ${l.maxSockets}`,
    `subscriptions ${l.maxSubscriptions}`,
    `event queue ${l.eventQueue}`,
    `tx queue ${l.txQueue}`,
    `rx buffer ${l.rxBuffer} B`,
    ...(l.maxData !== undefined ? [`max data ${l.maxData} B`] : []),
  ].join(', ');
  const board = r.board
    ? counterList(r.board, Object.keys(r.board))
    : `unavailable${r.boardError ? ` (${r.boardError})` : ''}`;
  return formatPairs([
    ['port', r.port],
    ['board', i.board],
    ['firmware', `${i.firmwareVersion} (Zephyr ${i.zephyrVersion})`],
    ['protocol', `v${i.version}, schema ${i.schemaHash}`],
    ['boot id', `${i.bootId} (up ${formatDuration(i.uptimeMs)})`],
    ['link', `MTU ${i.mtu} B, window ${i.window} frames`],
    ['features', i.features.join(', ') || 'none'],
    ['limits', limits],
    ['host link', counterList(r.host as unknown as Record<string, number>, countersShown)],
    ['board link', board],
  ]);
}

export interface PortRow {
  path: string;
  manufacturer: string | null;
  serialNumber: string | null;
  vendorId: string | null;
  productId: string | null;
  /** Probe result: the board's HELLO facts, or why it did not answer; null when not probed. */
  netbridge: { board: string; firmwareVersion: string; bootId: string } | null;
  probeError: string | null;
}

export function formatPorts(rows: PortRow[], mark: (s: string) => string = (s) => s): string[] {
  if (rows.length === 0) return ['no serial ports found'];
  return formatTable(
    ['', 'PORT', 'USB ID', 'MANUFACTURER', 'NETBRIDGE'],
    rows.map((r) => [
      r.netbridge ? mark('*') : ' ',
      r.path,
      r.vendorId && r.productId ? `${r.vendorId}:${r.productId}` : '-',
      r.manufacturer ?? '-',
      r.netbridge ? mark(`${r.netbridge.board} fw ${r.netbridge.firmwareVersion}`) : r.probeError === null ? '-' : 'no answer',
    ]),
  );
}
