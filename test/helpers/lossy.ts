/**
 * An in-memory line between two ends that drops, corrupts, duplicates and delays writes at
 * configurable rates, keeping order like a UART (delays never reorder). Deterministic per seed.
 */
import type { Duplex } from 'node:stream';
import { createMemoryPair } from '../../src/transport/memory.js';

export interface Impairments {
  drop?: number;
  corrupt?: number;
  duplicate?: number;
  /** Each write is delayed by a random 0..delayMs (order kept). */
  delayMs?: number;
  /** Fixed one-way latency added to every write. */
  latencyMs?: number;
  seed?: number;
}

export interface LineStats {
  written: number;
  dropped: number;
  corrupted: number;
  duplicated: number;
}

/** Mulberry32: small seeded PRNG so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LossyLine {
  a: Duplex;
  b: Duplex;
  stats: LineStats;
  /** Change the impairments on the fly (e.g. cut the line with drop: 1). */
  set(imp: Impairments): void;
  close(): void;
}

export function createLossyLine(initial: Impairments = {}): LossyLine {
  const [a, aInner] = createMemoryPair();
  const [bInner, b] = createMemoryPair();
  let imp = initial;
  const rand = prng(initial.seed ?? 1);
  const stats: LineStats = { written: 0, dropped: 0, corrupted: 0, duplicated: 0 };
  const lastDue = new Map<Duplex, number>();
  const timers = new Set<NodeJS.Timeout>();

  const forward = (chunk: Buffer, to: Duplex) => {
    stats.written++;
    if (rand() < (imp.drop ?? 0)) {
      stats.dropped++;
      return;
    }
    let data = Buffer.from(chunk);
    if (rand() < (imp.corrupt ?? 0) && data.length > 2) {
      // Flip one bit of a byte inside the frame (never the delimiters).
      const at = 1 + Math.floor(rand() * (data.length - 2));
      data[at] = (data[at] as number) ^ (1 << Math.floor(rand() * 8));
      stats.corrupted++;
    }
    const copies = rand() < (imp.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    const delay = (imp.latencyMs ?? 0) + (imp.delayMs ? rand() * imp.delayMs : 0);
    const now = performance.now();
    const due = Math.max(now + delay, lastDue.get(to) ?? 0);
    lastDue.set(to, due);
    const deliver = () => {
      for (let i = 0; i < copies; i++) if (!to.destroyed) to.write(data);
    };
    if (due - now < 0.5) deliver();
    else {
      const t = setTimeout(() => {
        timers.delete(t);
        deliver();
      }, due - now);
      timers.add(t);
    }
  };
  aInner.on('data', (c: Buffer) => forward(c, bInner));
  bInner.on('data', (c: Buffer) => forward(c, aInner));
  return {
    a,
    b,
    stats,
    set: (next) => (imp = { ...imp, ...next }),
    close: () => {
      for (const t of timers) clearTimeout(t);
      for (const s of [a, aInner, bInner, b]) s.destroy();
    },
  };
}
