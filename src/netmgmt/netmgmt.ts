/**
 * net_mgmt on the host, mirroring Zephyr's API: event callbacks with Zephyr's mask semantics (plus
 * exact host-side filtering and one callback across layers), eventWait / eventWaitOnIface, an async
 * iterator, the requests (interface dump, up/down, addresses, DHCPv4, hostname, generic net_mgmt),
 * and resynchronisation: after an event overrun or a reconnect the host re-reads the interfaces and
 * emits 'resync', so a user's view of the board is never silently wrong.
 *
 * Events: 'resync' (Resync), 'resync-error' (Error), 'handler-error' (Error, EventCallback).
 */
import { EventEmitter } from 'node:events';
import type { CborMap } from '../codec/cbor.js';
import { Op } from '../codec/messages.js';
import type { HelloInfo, Overrun } from '../codec/session-bodies.js';
import { AbortError, ClosedError, NetbridgeError, ProtocolError, TimeoutError } from '../errors.js';
import type { Client, RequestOptions } from '../session/client.js';
import { parseAddress } from './addr.js';
import {
  type EventInfo,
  type NetInterface,
  addrBody,
  hostnameBody,
  ifaceBody,
  netMgmtBody,
  parseEventNotification,
  parseIfaceItem,
  subscribeBody,
} from './bodies.js';
import {
  type EventLayout,
  decodeEventCode,
  eventCodes,
  foldMasks,
  layoutForZephyrVersion,
  masksForLayout,
  matchesExactly,
} from './codes.js';
import { DumpInterruptedError, SubscriptionLimitError } from './errors.js';
import type { Message } from '../codec/messages.js';

/** A raised event as the host delivers it. */
export interface NetEvent {
  /** The code as the board raised it (the board's layout). */
  code: bigint;
  /** NET_EVENT_* name, the same in both layouts. */
  name: string | undefined;
  layer: number;
  layerCode: number;
  command: number;
  ifindex: number;
  /** Board uptime (ms) when it notified. */
  uptimeMs: number;
  info: EventInfo | undefined;
  /** Notification sequence number. */
  seq: number;
}

export type EventHandler = (event: NetEvent, cb: EventCallback) => void;

/** A mask or several (one callback across layers). 64-bit constants work on 3.7 boards too. */
export type EventMask = bigint | readonly bigint[];

/** net_mgmt_event_callback: a handler and its masks (and, for waits on an interface, the ifindex). */
export class EventCallback {
  readonly masks: readonly bigint[];
  private cachedLayout: EventLayout | undefined;
  private cachedMasks: bigint[] = [];
  constructor(
    readonly handler: EventHandler,
    mask: EventMask,
    readonly ifindex?: number,
  ) {
    this.masks = typeof mask === 'bigint' ? [mask] : [...mask];
    if (this.masks.length === 0) throw new RangeError('an event callback needs at least one mask');
  }

  /** The masks in the board's layout. */
  boardMasks(layout: EventLayout): bigint[] {
    if (this.cachedLayout !== layout) {
      this.cachedMasks = this.masks.flatMap((m) => masksForLayout(m, layout));
      this.cachedLayout = layout;
    }
    return this.cachedMasks;
  }

  /** Exact match: no event the masks do not name, and only on `ifindex` when set. */
  matches(ev: NetEvent, layout: EventLayout): boolean {
    if (this.ifindex !== undefined && ev.ifindex !== this.ifindex) return false;
    return this.boardMasks(layout).some((m) => matchesExactly(ev.code, m, layout));
  }
}

export interface WaitOptions {
  /** ms; default: wait forever (K_FOREVER), unless `signal` aborts. */
  timeout?: number;
  signal?: AbortSignal;
}

export interface EventStream extends AsyncIterableIterator<NetEvent> {
  /** Resolves once the board's subscription includes this stream's masks. */
  readonly ready: Promise<void>;
  /** Events dropped because the consumer fell more than `maxQueue` behind. */
  readonly dropped: number;
}

export interface Resync {
  reason: 'overrun' | 'reconnect' | 'reboot';
  /** Events the board reported dropped (overrun). */
  dropped: number;
  interfaces: NetInterface[];
}

export interface NetMgmtOptions {
  /** Event code layout; default: from the board's Zephyr version. */
  layout?: EventLayout;
  /** IFACE_DUMP repeats when interrupted, at most this many times. Default 5. */
  dumpRetries?: number;
  /** Board subscription slots; default: the board's HELLO limit. */
  maxSubscriptions?: number;
}

export interface NetMgmtCounters {
  eventsIn: number;
  /** Events no callback matched (the board's filter is a superset; the host filters exactly). */
  eventsUnmatched: number;
  malformedEvents: number;
  subscribeRequests: number;
  resyncs: number;
  resyncFailures: number;
  handlerErrors: number;
  streamDrops: number;
  dumpRetries: number;
}

export interface AddrAddOptions extends RequestOptions {
  /** Default: from "addr/len", else the board's default (24 / 64). */
  prefixLen?: number;
  /** Seconds; default infinite. */
  lifetime?: number;
}

/** Resync dumps tried before 'resync-error' (with backoff up to 1 s: about 20 s in all). */
const RESYNC_ATTEMPTS = 24;

export class NetMgmt extends EventEmitter {
  private readonly callbacks = new Set<EventCallback>();
  private currentLayout: EventLayout;
  private readonly fixedLayout: boolean;
  private readonly dumpRetries: number;
  private readonly maxSubsOverride: number | undefined;
  /** Masks the board last acknowledged; undefined: unknown (never sent, or the board rebooted). */
  private subscribed: bigint[] | undefined;
  private syncChain: Promise<void> = Promise.resolve();
  private resyncing: Promise<void> | undefined;
  private resyncAgain: Resync['reason'] | undefined;
  private resyncDropped = 0;
  private closed = false;
  private readonly closers = new Set<(err: Error) => void>();
  private readonly c: NetMgmtCounters = {
    eventsIn: 0,
    eventsUnmatched: 0,
    malformedEvents: 0,
    subscribeRequests: 0,
    resyncs: 0,
    resyncFailures: 0,
    handlerErrors: 0,
    streamDrops: 0,
    dumpRetries: 0,
  };
  private readonly onNotification = (msg: Message) => this.handleNotification(msg);
  private readonly onOverrun = (o: Overrun) => {
    if (o.what === 'events') this.requestResync('overrun', o.count);
  };
  private readonly onReconnect = ({ info, rebooted }: { info: HelloInfo; rebooted: boolean }) => this.handleReconnect(info, rebooted);
  private readonly onClose = () => this.close();

  constructor(
    readonly client: Client,
    opts: NetMgmtOptions = {},
  ) {
    super();
    this.fixedLayout = opts.layout !== undefined;
    this.currentLayout = opts.layout ?? layoutForZephyrVersion(client.info.zephyrVersion);
    this.dumpRetries = opts.dumpRetries ?? 5;
    this.maxSubsOverride = opts.maxSubscriptions;
    client.on('notification', this.onNotification);
    client.on('overrun', this.onOverrun);
    client.on('reconnect', this.onReconnect);
    client.on('close', this.onClose);
  }

  /** The board's event code layout. */
  get layout(): EventLayout {
    return this.currentLayout;
  }

  /** NET_EVENT_* codes in the board's layout. */
  get codes(): Readonly<Record<string, bigint>> {
    return eventCodes(this.currentLayout);
  }

  counters(): NetMgmtCounters {
    return { ...this.c };
  }

  /** The masks the board filters on now (as last acknowledged). */
  get boardSubscription(): readonly bigint[] | undefined {
    return this.subscribed;
  }

  // ------------------------------------------------------------------------------ callbacks

  /** net_mgmt_init_event_callback: builds a callback (not yet added). */
  initEventCallback(handler: EventHandler, mask: EventMask): EventCallback {
    return new EventCallback(handler, mask);
  }

  /** net_mgmt_add_event_callback: resolves once the board's filter includes its masks. */
  addEventCallback(cb: EventCallback): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('net_mgmt detached'));
    cb.boardMasks(this.currentLayout); // throws here for a mask the board's layout cannot express
    this.callbacks.add(cb);
    return this.syncSubscription();
  }

  /** net_mgmt_del_event_callback: the board stops sending what no callback wants any more. */
  delEventCallback(cb: EventCallback): Promise<void> {
    if (!this.callbacks.delete(cb) || this.closed) return Promise.resolve();
    return this.syncSubscription();
  }

  /** net_mgmt_event_wait: the first matching event. Registered before the subscription goes out. */
  eventWait(mask: EventMask, opts: WaitOptions = {}): Promise<NetEvent> {
    return this.wait(mask, undefined, opts);
  }

  /** net_mgmt_event_wait_on_iface: the first matching event on `ifindex`. */
  eventWaitOnIface(ifindex: number, mask: EventMask, opts: WaitOptions = {}): Promise<NetEvent> {
    return this.wait(mask, ifindex, opts);
  }

  private wait(mask: EventMask, ifindex: number | undefined, opts: WaitOptions): Promise<NetEvent> {
    if (this.closed) return Promise.reject(new ClosedError('net_mgmt detached'));
    if (opts.signal?.aborted) return Promise.reject(new AbortError('event wait aborted', { cause: opts.signal.reason }));
    return new Promise<NetEvent>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.closers.delete(onClosed);
        if (this.callbacks.delete(cb) && !this.closed) this.syncSubscription().catch(() => undefined);
      };
      const cb = new EventCallback(
        (ev) => {
          finish();
          resolve(ev);
        },
        mask,
        ifindex,
      );
      const onAbort = () => {
        finish();
        reject(new AbortError('event wait aborted', { cause: opts.signal?.reason }));
      };
      const onClosed = (err: Error) => {
        finish();
        reject(err);
      };
      try {
        cb.boardMasks(this.currentLayout);
      } catch (err) {
        reject(err);
        return;
      }
      // The filter is in place before the subscription is sent: an event that the board raises
      // between this call and its subscription answer is not missed.
      this.callbacks.add(cb);
      this.closers.add(onClosed);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeout !== undefined) {
        timer = setTimeout(() => {
          finish();
          reject(new TimeoutError(`no ${describeMasks(cb.masks)} event within ${opts.timeout} ms`));
        }, opts.timeout);
      }
      this.syncSubscription().catch((err: unknown) => {
        if (!this.callbacks.has(cb)) return;
        finish();
        reject(err);
      });
    });
  }

  /**
   * Matching events as an async iterator, buffered up to `maxQueue` (default 1024); beyond that
   * new events are dropped and counted (`dropped`). Breaking out of the loop unsubscribes.
   */
  events(mask: EventMask, opts: { maxQueue?: number; ifindex?: number } = {}): EventStream {
    const maxQueue = opts.maxQueue ?? 1024;
    const queue: NetEvent[] = [];
    let waiter: { resolve: (r: IteratorResult<NetEvent>) => void; reject: (e: Error) => void } | undefined;
    let done = false;
    let failure: Error | undefined;
    let dropped = 0;
    const cb = new EventCallback(
      (ev) => {
        if (waiter) {
          const w = waiter;
          waiter = undefined;
          w.resolve({ value: ev, done: false });
        } else if (queue.length < maxQueue) queue.push(ev);
        else {
          dropped++;
          this.c.streamDrops++;
        }
      },
      mask,
      opts.ifindex,
    );
    const end = (err?: Error) => {
      if (done) return;
      done = true;
      failure = err;
      this.closers.delete(end);
      if (this.callbacks.delete(cb) && !this.closed) this.syncSubscription().catch(() => undefined);
      const w = waiter;
      waiter = undefined;
      if (w) {
        if (err) w.reject(err);
        else w.resolve({ value: undefined, done: true });
      }
    };
    let ready: Promise<void>;
    if (this.closed) {
      done = true;
      failure = new ClosedError('net_mgmt detached');
      ready = Promise.reject(failure);
    } else {
      this.callbacks.add(cb);
      this.closers.add(end);
      ready = this.syncSubscription().catch((err: unknown) => {
        end(err as Error);
        throw err;
      });
    }
    ready.catch(() => undefined); // observed through next() as well
    const stream: EventStream = {
      ready,
      get dropped() {
        return dropped;
      },
      next: () => {
        const ev = queue.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (done) {
          // An error ends the stream once; after that it is just done.
          const err = failure;
          failure = undefined;
          return err ? Promise.reject(err) : Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => (waiter = { resolve, reject }));
      },
      return: () => {
        queue.length = 0;
        end();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return stream;
      },
    };
    return stream;
  }

  // ------------------------------------------------------------------------------ subscription

  /** The union of the callbacks' masks, folded to the board's slot count. */
  private desiredMasks(): bigint[] {
    const all = [...this.callbacks].flatMap((cb) => cb.boardMasks(this.currentLayout));
    const limit = this.maxSubsOverride ?? this.client.info.limits.maxSubscriptions;
    const folded = foldMasks(all, limit, this.currentLayout);
    if (!folded) throw new SubscriptionLimitError(new Set(all).size, limit);
    return folded;
  }

  /** Serialised: each step sends the then-current union if it differs from what the board has. */
  private syncSubscription(force = false): Promise<void> {
    const step = this.syncChain.then(async () => {
      if (this.closed) return;
      const masks = this.desiredMasks();
      if (!force && this.subscribed && sameMasks(masks, this.subscribed)) return;
      this.c.subscribeRequests++;
      this.subscribed = undefined; // unknown until the board answers
      await this.client.request(Op.EVT_SUBSCRIBE, subscribeBody(masks));
      this.subscribed = masks;
    });
    this.syncChain = step.catch(() => undefined);
    return step;
  }

  // ------------------------------------------------------------------------------ receive

  private handleNotification(msg: Message): void {
    if (msg.op !== Op.EVENT) return;
    this.c.eventsIn++;
    let ev: NetEvent;
    try {
      const n = parseEventNotification(msg.body);
      const d = decodeEventCode(n.code, this.currentLayout);
      ev = {
        code: n.code,
        name: d.name,
        layer: d.layer,
        layerCode: d.layerCode,
        command: d.command,
        ifindex: n.ifindex,
        uptimeMs: n.uptimeMs,
        info: n.info,
        seq: msg.id,
      };
    } catch {
      this.c.malformedEvents++;
      return;
    }
    let matched = false;
    for (const cb of [...this.callbacks]) {
      if (!this.callbacks.has(cb) || !cb.matches(ev, this.currentLayout)) continue;
      matched = true;
      try {
        cb.handler(ev, cb);
      } catch (err) {
        this.c.handlerErrors++;
        if (this.listenerCount('handler-error') > 0) this.emit('handler-error', err, cb);
      }
    }
    if (!matched) this.c.eventsUnmatched++;
  }

  private handleReconnect(info: HelloInfo, rebooted: boolean): void {
    if (this.closed) return;
    if (!this.fixedLayout) this.currentLayout = layoutForZephyrVersion(info.zephyrVersion);
    if (rebooted) this.subscribed = undefined;
    const interested = this.callbacks.size > 0 || this.listenerCount('resync') > 0;
    // A rebooted board has no filters; a link reset may have discarded events in flight.
    if (this.callbacks.size > 0) this.syncSubscription(true).catch((err: unknown) => this.emitResyncError(err));
    if (interested) this.requestResync(rebooted ? 'reboot' : 'reconnect', 0);
  }

  /** Coalesces: one dump at a time, and one more after it if something asked meanwhile. */
  private requestResync(reason: Resync['reason'], dropped: number): void {
    if (this.closed) return;
    this.resyncDropped += dropped;
    if (this.resyncing) {
      // A reboot outranks a reconnect, which outranks an overrun.
      const rank = { overrun: 0, reconnect: 1, reboot: 2 } as const;
      if (this.resyncAgain === undefined || rank[reason] > rank[this.resyncAgain]) this.resyncAgain = reason;
      return;
    }
    this.resyncing = this.runResync(reason).finally(() => {
      this.resyncing = undefined;
      const again = this.resyncAgain;
      this.resyncAgain = undefined;
      if (again !== undefined) this.requestResync(again, 0);
    });
  }

  private async runResync(reason: Resync['reason']): Promise<void> {
    const dropped = this.resyncDropped;
    this.resyncDropped = 0;
    // A flood keeps interrupting dumps: back off and try again rather than leave the view stale.
    for (let attempt = 0, backoff = 50; ; attempt++, backoff = Math.min(backoff * 2, 1000)) {
      try {
        const interfaces = await this.ifaceDump();
        if (this.closed) return;
        this.c.resyncs++;
        this.emit('resync', { reason, dropped, interfaces } satisfies Resync);
        return;
      } catch (err) {
        const retry = (err instanceof DumpInterruptedError || err instanceof TimeoutError) && attempt < RESYNC_ATTEMPTS;
        if (!retry || this.closed) {
          this.emitResyncError(err);
          return;
        }
        await new Promise((r) => setTimeout(r, backoff).unref());
      }
    }
  }

  private emitResyncError(err: unknown): void {
    if (this.closed && err instanceof ClosedError) return;
    this.c.resyncFailures++;
    if (this.listenerCount('resync-error') > 0) this.emit('resync-error', err);
  }

  /** Resolves when no resync is running (test and monitor aid). */
  async settled(): Promise<void> {
    while (this.resyncing) await this.resyncing;
    await this.syncChain;
  }

  // ------------------------------------------------------------------------------ requests

  /**
   * Resolves once every subscription change asked for so far has been answered by the board.
   * The requests below wait for it, so `const w = eventWait(...); await ifaceDown(...)` cannot
   * make the board raise the event before it filters for it.
   */
  async whenSubscribed(): Promise<void> {
    await this.syncChain;
  }

  private async act(op: number, body: CborMap, opts: RequestOptions): Promise<CborMap> {
    await this.syncChain;
    return this.client.request(op, body, opts);
  }

  /** IFACE_DUMP: every interface (or one), repeated while the board says it was interrupted. */
  async ifaceDump(ifindex?: number, opts: RequestOptions = {}): Promise<NetInterface[]> {
    const body: CborMap = ifindex === undefined ? new Map() : ifaceBody(ifindex);
    for (let attempt = 0; ; attempt++) {
      const r = await this.client.dump(Op.IFACE_DUMP, body, opts);
      if (!r.interrupted) {
        try {
          return r.items.map(parseIfaceItem);
        } catch (err) {
          throw err instanceof NetbridgeError ? err : new ProtocolError(String(err));
        }
      }
      if (attempt >= this.dumpRetries) throw new DumpInterruptedError(attempt + 1);
      this.c.dumpRetries++;
    }
  }

  async ifaceUp(ifindex: number, opts: RequestOptions = {}): Promise<void> {
    await this.act(Op.IFACE_UP, ifaceBody(ifindex), opts);
  }

  async ifaceDown(ifindex: number, opts: RequestOptions = {}): Promise<void> {
    await this.act(Op.IFACE_DOWN, ifaceBody(ifindex), opts);
  }

  /** Adds "192.0.2.1", "2001:db8::1/64", ... (a "/len" suffix sets the prefix length). */
  async addrAdd(ifindex: number, address: string | Uint8Array, opts: AddrAddOptions = {}): Promise<void> {
    const a = parseAddress(address);
    await this.act(Op.ADDR_ADD, addrBody(ifindex, a.bytes, opts.prefixLen ?? a.prefixLen, opts.lifetime), opts);
  }

  async addrDel(ifindex: number, address: string | Uint8Array, opts: RequestOptions = {}): Promise<void> {
    const a = parseAddress(address);
    await this.act(Op.ADDR_DEL, addrBody(ifindex, a.bytes), opts);
  }

  async dhcpv4Start(ifindex: number, opts: RequestOptions = {}): Promise<void> {
    await this.act(Op.DHCPV4_START, ifaceBody(ifindex), opts);
  }

  async dhcpv4Stop(ifindex: number, opts: RequestOptions = {}): Promise<void> {
    await this.act(Op.DHCPV4_STOP, ifaceBody(ifindex), opts);
  }

  async hostnameSet(name: string, opts: RequestOptions = {}): Promise<void> {
    await this.act(Op.HOSTNAME_SET, hostnameBody(name), opts);
  }

  /** net_mgmt(request, iface, data, len) for a request code the board registered; its reply data. */
  async netMgmt(request: bigint, ifindex: number, data?: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array | undefined> {
    const rsp = await this.act(Op.NET_MGMT, netMgmtBody(request, ifindex, data), opts);
    const out = rsp.get(1);
    if (out === undefined) return undefined;
    if (!(out instanceof Uint8Array)) throw new ProtocolError('NET_MGMT response: key 1 should be a bstr');
    return out;
  }

  // ------------------------------------------------------------------------------ teardown

  /** Detaches from the client: pending waits and streams end with ClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.off('notification', this.onNotification);
    this.client.off('overrun', this.onOverrun);
    this.client.off('reconnect', this.onReconnect);
    this.client.off('close', this.onClose);
    const err = new ClosedError('net_mgmt detached');
    for (const close of [...this.closers]) close(err);
    this.callbacks.clear();
    this.emit('close');
  }
}

function sameMasks(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((m, i) => m === b[i]);
}

function describeMasks(masks: readonly bigint[]): string {
  return masks.map((m) => decodeEventCode(m).name ?? `0x${m.toString(16)}`).join('|');
}
