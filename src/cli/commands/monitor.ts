/**
 * `netbridge monitor`: live net_mgmt events, one line each (or one JSON object per line), with the
 * board's overruns and the host's resyncs on the same stream. Runs until Ctrl-C (exit 130), SIGTERM
 * (143), --count events (0) or a fatal session error (1).
 */
import { NetMgmt, type Resync } from '../../netmgmt/netmgmt.js';
import type { Overrun } from '../../codec/session-bodies.js';
import { SubscriptionLimitError } from '../../netmgmt/errors.js';
import { openSession } from '../connect.js';
import { type Ctx, untilSignal } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import {
  defaultMasks,
  eventJson,
  eventMasks,
  formatEventLine,
  formatOverrunLine,
  formatResyncLine,
  overrunJson,
  resyncJson,
} from '../netformat.js';

export interface MonitorOptions {
  event: string[];
  iface?: number;
  /** Exit 0 after this many events. */
  count?: number;
  /** Events buffered while stdout is slow, at most; beyond that dropped and counted. */
  queue: number;
}

export async function runMonitor(ctx: Ctx, opts: MonitorOptions): Promise<number> {
  const chosen = opts.event.length > 0 ? eventMasks(opts.event) : undefined; // usage errors before connecting
  const stop = untilSignal();
  const s = await openSession(ctx).catch((err: unknown) => {
    stop.dispose();
    throw err;
  });
  const nm = new NetMgmt(s.client);
  const emit = (human: string, json: Record<string, unknown>) => ctx.print(ctx.g.json ? JSON.stringify(json) : human);
  const onOverrun = (o: Overrun) => emit(ctx.out.yellow(formatOverrunLine(o, new Date())), overrunJson(o, new Date()));
  const onResync = (r: Resync) => emit(ctx.out.cyan(formatResyncLine(r, new Date())), resyncJson(r, new Date()));
  const onResyncError = (err: Error) => ctx.progress(`netbridge: resync failed: ${err.message}`);
  const onReconnect = ({ rebooted }: { rebooted: boolean }) =>
    ctx.progress(`netbridge: session re-established${rebooted ? ' (the board rebooted)' : ''}`);
  const onLinkDown = (err: Error) => ctx.progress(`netbridge: link down (${err.message}); reconnecting`);
  s.client.on('overrun', onOverrun);
  s.client.on('reconnect', onReconnect);
  s.client.on('linkdown', onLinkDown);
  nm.on('resync', onResync);
  nm.on('resync-error', onResyncError);

  let masks: bigint[];
  if (chosen) masks = chosen;
  else {
    const d = defaultMasks(s.client.info.limits.maxSubscriptions);
    masks = d.masks;
    ctx.debug(`watching ${d.families.join(', ')} events`);
  }
  const stream = nm.events(masks, { maxQueue: opts.queue, ...(opts.iface !== undefined ? { ifindex: opts.iface } : {}) });
  let seen = 0;
  try {
    const ready = await Promise.race([stream.ready.then(() => 'ready' as const), stop.signal]);
    if (ready !== 'ready') return ready === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    ctx.debug('subscribed; waiting for events');
    for (;;) {
      if (opts.count !== undefined && seen >= opts.count) return EXIT.ok;
      const next = await Promise.race([stream.next(), stop.signal]);
      if (typeof next === 'string') return next === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
      if (next.done) throw new CliError('NB_CLI_STREAM_ENDED', 'the event stream ended');
      seen++;
      const now = new Date();
      emit(formatEventLine(next.value, nm.layout, now), eventJson(next.value, nm.layout, now));
    }
  } catch (err) {
    if (err instanceof SubscriptionLimitError) {
      throw new CliError(err.code, `${err.message}: name fewer --event families`, EXIT.usage, { cause: err });
    }
    throw err;
  } finally {
    stop.dispose();
    if (stream.dropped > 0) ctx.progress(`netbridge: ${stream.dropped} event(s) dropped: output could not keep up`);
    await stream.return?.();
    nm.close();
    await s.close();
  }
}
