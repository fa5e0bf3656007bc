/** Utilities shared by the benchmarks: payloads, percentiles, CPU time, the machine. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { findZephyr, repoRoot } from '../../hil/lib/workspace.js';

/** Deterministic pseudo-random bytes (xorshift32): compressible neither by COBS nor by CBOR. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export interface CpuSpan {
  /** User + system CPU seconds of this process. */
  cpuSeconds: number;
  wallSeconds: number;
}

/** Measures this process's CPU time and the wall time around an async job. */
export async function measureCpu<T>(job: () => Promise<T>): Promise<{ result: T; span: CpuSpan }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await job();
  const cpu = process.cpuUsage(cpu0);
  return { result, span: { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000 } };
}

export interface Machine {
  cpu: string;
  cores: number;
  os: string;
  node: string;
  qemu: string;
  zephyr: string;
  gcc: string;
  commit: string;
  date: string;
  /** 1-minute load average at the start: other work on the machine skews timings. */
  load: number;
}

function firstLineOf(cmd: string, args: string[]): string {
  try {
    return (execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0] ?? '').trim();
  } catch {
    return 'not found';
  }
}

export function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
    if (dirty.trim()) commit += ' (with uncommitted changes)';
  } catch {
    /* not a git checkout */
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty?.[1]) osName = `${pretty[1]} (${os.release()})`;
  } catch {
    /* keep uname */
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    os: osName,
    node: process.version,
    qemu: firstLineOf('qemu-system-arm', ['--version']).replace(/^QEMU emulator version\s*/, ''),
    zephyr: findZephyr()?.version ?? 'no workspace',
    gcc: firstLineOf('arm-none-eabi-gcc', ['--version']),
    commit,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: os.loadavg()[0] ?? 0,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
