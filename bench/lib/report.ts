/** Renders a benchmark run as docs/benchmarks.md: tables, then the machine and versions. */
import os from 'node:os';
import { repoRoot } from '../../hil/lib/workspace.js';
import { LINE_TIME_MARGIN } from '../../src/link/link.js';
import type { CodecRate, OverheadRow } from './codec.js';
import type { EchoCeiling } from './echo.js';
import type { FootprintRow } from './footprint.js';
import type { EventDelay, Goodput, Percentiles } from './live.js';
import type { Machine } from './util.js';

/** MCUmgr figures quoted for scale (not measured here). */
export const MCUMGR_MEASURED = { low: 0.33, high: 0.45 };

export interface ShapedRun {
  /** null: unshaped. */
  baud: number | null;
  lineRate: number | null;
  rtt: Percentiles | null;
  events: EventDelay | null;
  goodput: Goodput[];
  errors: string[];
}

export interface BenchRun {
  machine: Machine;
  quick: boolean;
  target: string;
  firmware: string | null;
  overhead: { rows: OverheadRow[]; bulk: OverheadRow[] };
  codec: CodecRate[];
  echo: EchoCeiling | null;
  echoError: string | null;
  runs: ShapedRun[];
  footprint: FootprintRow[] | null;
  footprintError: string | null;
  seconds: number;
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const rateText = (bps: number) => (bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} MB/s` : `${(bps / 1e3).toFixed(1)} kB/s`);
const kilo = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

/** Paths in messages relative to the repository (no machine-specific prefixes in the doc). */
export function scrub(text: string): string {
  return text.split(repoRoot).join('.').split(os.homedir()).join('$HOME').replace(/\|/g, '/');
}

function lineName(baud: number | null): string {
  return baud === null ? 'unshaped (QEMU pty)' : `${baud.toLocaleString('en-US')} baud 8N1`;
}

export function renderReport(r: BenchRun): string {
  const out: string[] = [];
  const m = r.machine;
  out.push('# Benchmarks');
  out.push('');
  out.push(
    `Written by \`npm run bench${r.quick ? ' -- --quick' : ''}\` on ${m.date} (${r.seconds.toFixed(0)} s). ` +
      'Every ratio below divides two figures measured in the same run. Re-run it to refresh this file.',
  );
  out.push('');

  // ---------------------------------------------------------------- goodput vs line rate
  out.push('## Goodput against the line rate');
  out.push('');
  out.push(
    `Target ${r.target} in QEMU${r.firmware ? ` (${r.firmware})` : ''}. The line is limited by the fault-injection proxy ` +
      '(`hil/lib/fault-proxy.ts`, baud limit only, no faults) in both directions; line rate at 8N1 = baud / 10 bytes/s. ' +
      'Goal: goodput / line rate >= 0.95.',
  );
  out.push('');
  out.push(
    '"/ line in QEMU" divides by what the same line carries with no protocol at all: the echo app through the same ' +
      'proxy at the same baud rate (shaped rows), or QEMU\'s own ceiling per direction (unshaped rows); see below.',
  );
  out.push('');
  out.push('| line | direction | method | payload | time | goodput | / line rate | / line in QEMU | retransmits | host CPU per MB |');
  out.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const run of r.runs) {
    for (const g of run.goodput) {
      const shapedEcho = r.echo?.shaped.find((x) => x.baud === run.baud)?.bytesPerSec;
      const ceiling = r.echo?.bytesPerSec;
      const carried = shapedEcho ?? Math.min(run.lineRate ?? Infinity, ceiling ?? Infinity);
      out.push(
        `| ${lineName(run.baud)} | ${g.direction} | ${g.method} | ${kib(g.bytes)} | ${g.seconds.toFixed(2)} s | ${rateText(g.bytesPerSec)} | ` +
          `${run.lineRate ? f3(g.bytesPerSec / run.lineRate) : '–'} | ${Number.isFinite(carried) ? f3(g.bytesPerSec / carried) : 'n/a'} | ` +
          `${g.retransmits} | ${f3(g.cpu.cpuSeconds / (g.bytes / 1e6))} s |`,
      );
    }
  }
  out.push('');
  out.push(
    'The client is told the baud rate of the shaped lines (`Client.open({ transport, baudRate })`, as a serial port ' +
      'tells it its own), so the host link floors each frame\'s retransmission timeout by the line time of what is queued ' +
      'ahead of it (PROTOCOL.md §1.3); the unshaped rows run on QEMU\'s pty, whose rate is unknown. Retransmits: the host ' +
      'link\'s, during the transfer; the line is clean, so any is spurious.',
  );
  // The floor assumes the line carries its baud rate; an emulated UART that carries much less
  // (see the echo figures) makes the link underestimate the line time, and that shows here.
  const slow = (r.echo?.shaped ?? []).filter((e) => e.bytesPerSec < e.baud / 10 / LINE_TIME_MARGIN);
  if (slow.length > 0) {
    out.push('');
    out.push(
      `In this run QEMU carried less than 1/${LINE_TIME_MARGIN} of the line rate at ` +
        `${slow.map((e) => `${lineName(e.baud)} (${f3(e.bytesPerSec / (e.baud / 10))})`).join(', ')}: beyond the link's ` +
        'margin for a line slower than its baud rate, so retransmissions there are the emulator being the bottleneck.',
    );
  }
  const smpCap = r.overhead.bulk.find((b) => b.what === 'framing')?.mcumgr;
  out.push('');
  out.push(
    `For scale: MCUmgr's measured serial image uploads reach ${MCUMGR_MEASURED.low}–${MCUMGR_MEASURED.high} of the line rate ` +
      `(quoted, not measured here), and its base64 line framing caps any such protocol at 0.73 ` +
      `(computed here: ${smpCap ? f3(1 / smpCap) : 'n/a'} for 1 KiB packets in 127-byte lines).`,
  );
  out.push('');

  // ---------------------------------------------------------------- unshaped ceiling
  out.push('## Unshaped: the emulator ceiling');
  out.push('');
  if (r.echo) {
    out.push(
      `A trivial echo app (\`bench/echo-app\`, no protocol) carries ${rateText(r.echo.bytesPerSec)} per direction through ` +
        `QEMU's serial device, both directions at once (${kib(r.echo.bytes)} echoed in ${r.echo.seconds.toFixed(2)} s; ` +
        `${r.echo.mismatched} bytes wrong or missing, ${r.echo.dropped} dropped by the app). ` +
        'The echo is bounded by the slower direction, QEMU\'s receive path (the emulated UART holds one received byte at ' +
        'a time); board -> host alone is faster, so unshaped board -> host ratios can exceed 1.',
    );
    if (r.echo.shaped.length) {
      out.push('');
      out.push('The same echo through the proxy\'s baud limiter (the raw capacity of each shaped line, no protocol):');
      out.push('');
      out.push('| line | echoed | time | per direction | / line rate |');
      out.push('| --- | ---: | ---: | ---: | ---: |');
      for (const e of r.echo.shaped) {
        out.push(
          `| ${lineName(e.baud)} | ${kib(e.bytes)} | ${e.seconds.toFixed(2)} s | ${rateText(e.bytesPerSec)} | ${f3(e.bytesPerSec / (e.baud / 10))} |`,
        );
      }
    }
  } else {
    out.push(`Not measured: ${scrub(r.echoError ?? 'skipped')}.`);
  }
  out.push('');

  // ---------------------------------------------------------------- latency
  out.push('## Latency');
  out.push('');
  out.push(
    'Null request: a PING without payload, one at a time, host send to host receive. Event: IPv4 address added/removed ' +
      '(one ADDR_ADD/ADDR_DEL request each), board notify (the uptime in its EVENT, 1 ms tick) to the host callback. The ' +
      'board clock is read with a HELLO request (its answer carries the uptime) before each pair and interpolated between ' +
      'readings, since the guest clock drifts from the host\'s; "±" is the median half-width of that reading.',
  );
  out.push('');
  out.push('| line | null request p50 | p99 | n | event delay p50 | p99 | events | ± | board clock drift |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const run of r.runs) {
    const rt = run.rtt;
    const ev = run.events;
    out.push(
      `| ${lineName(run.baud)} | ${rt ? ms(rt.p50) : 'n/a'} | ${rt ? ms(rt.p99) : 'n/a'} | ${rt?.n ?? 0} | ` +
        `${ev ? ms(ev.p50) : 'n/a'} | ${ev ? ms(ev.p99) : 'n/a'} | ${ev?.events ?? 0} | ${ev ? ms(ev.uncertaintyMs) : 'n/a'} | ${ev ? `${ev.driftMsPerS.toFixed(1)} ms/s` : 'n/a'} |`,
    );
  }
  out.push('');

  // ---------------------------------------------------------------- host cost
  out.push('## Host cost');
  out.push('');
  out.push(
    'CPU seconds (user + system) of the Node.js process. Per MB moved: in the goodput table; on the shaped lines it ' +
      'includes the in-process proxy, whose limiter wakes every millisecond. Per 1,000 events:',
  );
  out.push('');
  out.push('| line | events | CPU per 1,000 events | with the requests that raised them |');
  out.push('| --- | ---: | ---: | ---: |');
  for (const run of r.runs) {
    if (!run.events) continue;
    out.push(
      `| ${lineName(run.baud)} | ${run.events.events} | ${f3(run.events.cpuPer1000Events)} s | ${f3(run.events.cpuPer1000EventsGross)} s |`,
    );
  }
  out.push('');
  out.push('The first column subtracts the same ADDR_ADD/ADDR_DEL requests (and clock readings) run without a subscription; the events are too few for a steady figure on a loaded machine, so read it as an order of magnitude.');
  out.push('');
  out.push('Codec, one thread: message -> CBOR -> frame + CRC-32 -> COBS (encode) and bytes -> frame decoder -> message (decode).');
  out.push('');
  out.push('| message | wire bytes | encode frames/s | decode frames/s |');
  out.push('| --- | ---: | ---: | ---: |');
  for (const c of r.codec) {
    out.push(`| ${c.message} | ${c.wireBytes} | ${kilo(c.encodePerSec)} | ${kilo(c.decodePerSec)} |`);
  }
  out.push('');

  // ---------------------------------------------------------------- framing overhead
  out.push('## Framing overhead: netbridge vs MCUmgr');
  out.push('');
  out.push(
    'Wire bytes per payload byte (lower is better; its inverse is the best goodput / line rate the framing allows). ' +
      '"framing": the payload is the packet (netbridge: DATA frame, COBS, CRC-32, delimiters; MCUmgr: SMP serial, ' +
      'length + CRC16 in base64 lines of <= 127 bytes with 0x06 0x09 / 0x04 0x14 markers). "request": the payload inside ' +
      'the bulk request (netbridge SINK; MCUmgr image upload with its 8-byte SMP header and CBOR map). Both encoders are ' +
      'checked by decoding their output back.',
  );
  out.push('');
  out.push('| payload | carried as | netbridge | MCUmgr | MCUmgr / netbridge |');
  out.push('| ---: | --- | ---: | ---: | ---: |');
  for (const row of [...r.overhead.rows, ...r.overhead.bulk]) {
    const label = row.payload >= 65536 ? `${kib(row.payload)} in 1 KiB packets` : `${row.payload} B`;
    out.push(`| ${label} | ${row.what} | ${f3(row.netbridge)} | ${f3(row.mcumgr)} | ${f2(row.mcumgr / row.netbridge)} |`);
  }
  out.push('');

  // ---------------------------------------------------------------- footprint
  out.push('## Firmware footprint of the netbridge module');
  out.push('');
  if (r.footprint) {
    out.push(
      'The same application (`bench/footprint-app`: the companion app\'s prj.conf and board files) built with ' +
        '`CONFIG_NETBRIDGE=y` and `=n`; module = the difference. ARM: the linker\'s memory table; native_sim: `size` of ' +
        'zephyr.exe (flash = text + data, RAM = data + bss). TLS rows add `firmware/app/overlay-tls.conf` to both builds.',
    );
    out.push('');
    out.push('| target | features | module flash | module RAM | app flash with / without | app RAM with / without |');
    out.push('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const row of r.footprint) {
      if (!row.with || !row.without) {
        out.push(`| ${row.target} | ${row.features} | build failed | | ${scrub(row.error ?? '')} | |`);
        continue;
      }
      out.push(
        `| ${row.target} | ${row.features} | ${kib(row.with.flash - row.without.flash)} | ${kib(row.with.ram - row.without.ram)} | ` +
          `${kib(row.with.flash)} / ${kib(row.without.flash)} | ${kib(row.with.ram)} / ${kib(row.without.ram)} |`,
      );
    }
  } else {
    out.push(`Not measured: ${scrub(r.footprintError ?? 'skipped (--no-footprint)')}.`);
  }
  out.push('');

  // ---------------------------------------------------------------- problems
  const problems = r.runs.flatMap((run) => run.errors.map((e) => `${lineName(run.baud)}: ${scrub(e)}`));
  if (problems.length) {
    out.push('## Not measured in this run');
    out.push('');
    for (const p of problems) out.push(`- ${p}`);
    out.push('');
  }

  // ---------------------------------------------------------------- machine
  out.push('## Machine');
  out.push('');
  out.push('| | |');
  out.push('| --- | --- |');
  out.push(`| CPU | ${m.cpu}, ${m.cores} cores (load average ${m.load.toFixed(1)} at the start) |`);
  out.push(`| OS | ${m.os} |`);
  out.push(`| Node.js | ${m.node} |`);
  out.push(`| QEMU | ${m.qemu} |`);
  out.push(`| Zephyr | ${m.zephyr} |`);
  out.push(`| ARM compiler | ${m.gcc} |`);
  out.push(`| netbridge | ${m.commit} |`);
  out.push(`| date | ${m.date} |`);
  out.push('');
  return out.join('\n');
}
