/**
 * The emulator's own ceiling: bytes/s through QEMU's serial device with a trivial echo app on the
 * board (bench/echo-app), no protocol at all. The host writes a block and reads it back; the rate
 * is what one direction carries while the other carries the same.
 */
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { bootBuild } from '../../hil/lib/boot.js';
import { buildFirmware } from '../../hil/lib/build.js';
import { FaultProxy } from '../../hil/lib/fault-proxy.js';
import { repoRoot } from '../../hil/lib/workspace.js';
import { closeTransport, openSerialPort } from '../../src/transport/serial.js';
import { pattern, sleep } from './util.js';

export interface EchoCeiling {
  bytes: number;
  seconds: number;
  /** Per direction, both directions at once (bounded by the slower one). */
  bytesPerSec: number;
  /** Bytes that came back different or not at all. */
  mismatched: number;
  /** Bytes the echo app could not queue (its ring was full), from its console. */
  dropped: number;
  /** The same echo through the fault-injection proxy's baud limiter, per baud rate: raw bytes on the shaped line. */
  shaped: { baud: number; bytes: number; seconds: number; bytesPerSec: number; mismatched: number }[];
}

export class EchoError extends Error {
  readonly code = 'NB_BENCH_ECHO';
}

/** Writes `total` bytes and resolves when as many came back (or after `timeoutMs`). */
async function echoOnce(port: Duplex, total: number, timeoutMs: number): Promise<EchoCeiling> {
  const data = Buffer.from(pattern(total, 11));
  const back = Buffer.alloc(total);
  let got = 0;
  const t0 = performance.now();
  const done = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      port.off('data', onData);
      reject(new EchoError(`echo: ${got} of ${total} bytes came back within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      const n = Math.min(d.length, total - got);
      d.copy(back, got, 0, n);
      got += n;
      if (got >= total) {
        clearTimeout(timer);
        port.off('data', onData);
        resolve(performance.now());
      }
    };
    port.on('data', onData);
  });
  // Feed in blocks so the pty and QEMU's receive path never sit on a huge backlog.
  for (let off = 0; off < total; off += 4096) {
    if (!port.write(data.subarray(off, Math.min(total, off + 4096)))) {
      await new Promise((r) => port.once('drain', r));
    }
  }
  const t1 = await done;
  let mismatched = 0;
  for (let i = 0; i < total; i++) if (back[i] !== data[i]) mismatched++;
  const seconds = (t1 - t0) / 1000;
  return { bytes: total, seconds, bytesPerSec: total / seconds, mismatched, dropped: 0, shaped: [] };
}

export async function measureEchoCeiling(
  target: string,
  seconds: number,
  bauds: number[],
  log: (line: string) => void,
): Promise<EchoCeiling> {
  const build = await buildFirmware(target, {
    sourceDir: path.join(repoRoot, 'bench', 'echo-app'),
    variant: 'bench-echo',
    log,
  });
  const board = await bootBuild(build, { log, workDir: path.join(repoRoot, 'hil', '.work', 'bench') });
  let port: Duplex | null = null;
  try {
    await board.console?.waitFor(/echo: ready/, 15_000, 0);
    port = await openSerialPort(board.bridgePath);
    await sleep(100);
    // A short probe sizes the timed block to about `seconds`.
    const probe = await echoOnce(port, 16 * 1024, 30_000);
    const total = Math.max(64 * 1024, Math.min(32 * 1024 * 1024, Math.round(probe.bytesPerSec * seconds)));
    const result = await echoOnce(port, total, Math.max(60_000, seconds * 10_000));
    await sleep(600); // the app reports its ring overflows every 500 ms
    result.dropped = [...(board.console?.output() ?? '').matchAll(/echo: dropped (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    for (const baud of bauds) {
      const proxy = new FaultProxy(port, { toBoard: { baudRate: baud }, toHost: { baudRate: baud }, closeBoard: false });
      try {
        const bytes = Math.max(8 * 1024, Math.round(Math.min(baud / 10, result.bytesPerSec) * seconds));
        const r = await echoOnce(proxy.host, bytes, Math.max(60_000, seconds * 10_000));
        result.shaped.push({ baud, bytes: r.bytes, seconds: r.seconds, bytesPerSec: r.bytesPerSec, mismatched: r.mismatched });
      } finally {
        await proxy.close();
      }
    }
    return result;
  } finally {
    if (port) await closeTransport(port);
    await board.stop();
  }
}
