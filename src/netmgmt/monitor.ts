/**
 * A network monitor in mptcpd's model (mptcpd_nm_create / foreach_interface / register_ops): a
 * view of the board's interfaces and addresses, kept equal to a fresh dump at every quiet moment.
 *
 * How: every interface/address-related event marks its interface dirty; one refresh at a time
 * re-dumps the dirty interfaces (the board's state is the truth, events only say where to look),
 * diffs against the view and calls the registered ops. An event overrun or a reconnect/reboot
 * (NetMgmt 'resync') brings a full dump, diffed the same way, so nothing is silently missed.
 */
import { BoardError } from '../errors.js';
import { isLinkLocal, parseAddress } from './addr.js';
import type { IfAddress, NetInterface } from './bodies.js';
import {
  NET_EVENT_DNS_SERVER_ADD,
  NET_EVENT_DNS_SERVER_DEL,
  NET_EVENT_HOSTNAME_CHANGED,
  NET_EVENT_IF_ADMIN_DOWN,
  NET_EVENT_IF_ADMIN_UP,
  NET_EVENT_IF_DOWN,
  NET_EVENT_IF_UP,
  NET_EVENT_IPV4_ADDR_ADD,
  NET_EVENT_IPV4_ADDR_DEL,
  NET_EVENT_IPV4_DHCP_BOUND,
  NET_EVENT_IPV4_DHCP_STOP,
  NET_EVENT_IPV6_ADDR_ADD,
  NET_EVENT_IPV6_ADDR_DEL,
  NET_EVENT_IPV6_ADDR_DEPRECATED,
  NET_EVENT_IPV6_DAD_FAILED,
  NET_EVENT_IPV6_DAD_SUCCEED,
} from './codes.js';
import type { EventCallback, NetEvent, NetMgmt, Resync } from './netmgmt.js';

export interface NetworkMonitorOptions {
  /** mptcpd's NOTIFY_FLAG_EXISTING: registerOps reports what is already there. Default false. */
  existing?: boolean;
  /** mptcpd's SKIP_LL: leave out fe80::/10 and 169.254/16 addresses. Default false. */
  skipLinkLocal?: boolean;
  /** mptcpd's SKIP_HOST: leave out loopback interfaces. Default false. */
  skipLoopback?: boolean;
}

export interface NetworkMonitorOps {
  newInterface?(iface: NetInterface): void;
  /** Flags, MTU, name, link address, DNS servers or hostname changed. */
  updateInterface?(iface: NetInterface): void;
  deleteInterface?(iface: NetInterface): void;
  newAddress?(iface: NetInterface, addr: IfAddress): void;
  deleteAddress?(iface: NetInterface, addr: IfAddress): void;
}

export interface MonitorCounters {
  refreshes: number;
  fullRefreshes: number;
  refreshFailures: number;
  opsErrors: number;
}

// Events after which an interface's dumped state may differ.
const WATCHED = [
  NET_EVENT_IF_DOWN | NET_EVENT_IF_UP | NET_EVENT_IF_ADMIN_DOWN | NET_EVENT_IF_ADMIN_UP,
  NET_EVENT_IPV4_ADDR_ADD | NET_EVENT_IPV4_ADDR_DEL | NET_EVENT_IPV4_DHCP_BOUND | NET_EVENT_IPV4_DHCP_STOP,
  NET_EVENT_IPV6_ADDR_ADD | NET_EVENT_IPV6_ADDR_DEL | NET_EVENT_IPV6_ADDR_DEPRECATED | NET_EVENT_IPV6_DAD_SUCCEED | NET_EVENT_IPV6_DAD_FAILED,
  NET_EVENT_DNS_SERVER_ADD | NET_EVENT_DNS_SERVER_DEL | NET_EVENT_HOSTNAME_CHANGED,
];

/** Identity of an address in the view: a prefix change is a delete and a new address. */
function addrKey(a: IfAddress): string {
  return `${a.family}/${a.address}/${a.prefixLen}`;
}

/** What updateInterface reacts to (addresses have their own ops; lifetimes tick by themselves). */
function ifaceSignature(i: NetInterface): string {
  return JSON.stringify([i.name, i.l2, i.mtu, i.flags, i.linkAddress, i.hostname, i.dnsServers]);
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;

export class NetworkMonitor {
  private view = new Map<number, NetInterface>();
  private readonly ops = new Set<NetworkMonitorOps>();
  private readonly callback: EventCallback;
  private dirty = new Set<number>();
  private fullPending = false;
  private refreshing: Promise<boolean> | undefined;
  private closed = false;
  private readonly c: MonitorCounters = { refreshes: 0, fullRefreshes: 0, refreshFailures: 0, opsErrors: 0 };
  private lastError: unknown;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryBackoff = RETRY_MIN_MS;
  // The resync's own dump could be older than a refresh in flight: re-dump in the refresh order.
  private readonly onResync = (_r: Resync) => void this.refreshAll().catch(() => undefined);

  private constructor(
    readonly nm: NetMgmt,
    readonly options: Required<NetworkMonitorOptions>,
  ) {
    this.callback = nm.initEventCallback((ev) => this.onEvent(ev), WATCHED);
  }

  /** mptcpd_nm_create: subscribes, then takes a first full dump as the view. */
  static async create(nm: NetMgmt, opts: NetworkMonitorOptions = {}): Promise<NetworkMonitor> {
    const m = new NetworkMonitor(nm, {
      existing: opts.existing ?? false,
      skipLinkLocal: opts.skipLinkLocal ?? false,
      skipLoopback: opts.skipLoopback ?? false,
    });
    nm.on('resync', m.onResync);
    // Subscribe first, then dump: an event between the two only marks a refresh that re-dumps.
    try {
      await nm.addEventCallback(m.callback);
      await m.refreshAll();
    } catch (err) {
      await m.destroy();
      throw err;
    }
    return m;
  }

  counters(): MonitorCounters {
    return { ...this.c };
  }

  /** mptcpd_nm_foreach_interface, over the filtered view, in ifindex order. */
  foreachInterface(cb: (iface: NetInterface) => void): void {
    for (const i of [...this.view.values()].sort((a, b) => a.index - b.index)) cb(i);
  }

  /** The filtered view as a list (same order as foreachInterface). */
  interfaces(): NetInterface[] {
    const out: NetInterface[] = [];
    this.foreachInterface((i) => out.push(i));
    return out;
  }

  /** mptcpd_nm_register_ops; with `existing`, reports the current view to these ops at once. */
  registerOps(ops: NetworkMonitorOps): void {
    this.ops.add(ops);
    if (!this.options.existing) return;
    this.foreachInterface((i) => {
      this.call(ops, 'newInterface', i);
      for (const a of i.addresses) this.call(ops, 'newAddress', i, a);
    });
  }

  unregisterOps(ops: NetworkMonitorOps): boolean {
    return this.ops.delete(ops);
  }

  /** What the view would be for `dump` with this monitor's flags (compare with a fresh dump). */
  filter(dump: readonly NetInterface[]): NetInterface[] {
    return dump
      .filter((i) => !(this.options.skipLoopback && i.loopback))
      .map((i) => ({
        ...i,
        addresses: this.options.skipLinkLocal ? i.addresses.filter((a) => !isLinkLocal(parseAddress(a.address).bytes)) : [...i.addresses],
      }))
      .sort((a, b) => a.index - b.index);
  }

  /** Resolves once every refresh asked for so far has run. */
  async settled(): Promise<void> {
    await this.nm.settled();
    while (this.refreshing) await this.refreshing;
    await this.nm.settled();
    while (this.refreshing) await this.refreshing;
  }

  /** Re-dumps everything now and diffs (also what an overrun or reboot triggers through 'resync'). */
  async refreshAll(): Promise<void> {
    this.fullPending = true;
    await this.kick();
    if (this.fullPending && !this.closed) throw this.lastError;
  }

  private onEvent(ev: NetEvent): void {
    if (ev.ifindex === 0) this.fullPending = true;
    else this.dirty.add(ev.ifindex);
    void this.kick();
  }

  /** Runs the refresh loop until nothing is pending (or a dump failed). */
  private async kick(): Promise<void> {
    while (!this.closed && (this.fullPending || this.dirty.size > 0)) {
      if (!this.refreshing) this.refreshing = this.refreshLoop().finally(() => (this.refreshing = undefined));
      if (!(await this.refreshing)) {
        this.scheduleRetry();
        return;
      }
      this.retryBackoff = RETRY_MIN_MS;
    }
  }

  /** A failed refresh is tried again later, so a quiet board is never left out of date. */
  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.kick();
    }, this.retryBackoff);
    this.retryTimer.unref();
    this.retryBackoff = Math.min(this.retryBackoff * 2, RETRY_MAX_MS);
  }

  /** False when a dump failed (what it was for stays pending). */
  private async refreshLoop(): Promise<boolean> {
    while (!this.closed && (this.fullPending || this.dirty.size > 0)) {
      const full = this.fullPending;
      const dirty = [...this.dirty];
      this.fullPending = false;
      this.dirty.clear();
      try {
        if (full || dirty.length > 4) {
          this.c.fullRefreshes++;
          this.apply(await this.nm.ifaceDump(), undefined);
        } else {
          for (const index of dirty) {
            this.c.refreshes++;
            this.apply(await this.dumpOne(index), index);
          }
        }
      } catch (err) {
        this.lastError = err;
        // The board may be rebooting or busy: a 'resync' follows a reconnect. Otherwise the next
        // event tries again; keep what was asked.
        this.c.refreshFailures++;
        if (full || dirty.length > 4) this.fullPending = true;
        else for (const i of dirty) this.dirty.add(i);
        return false;
      }
    }
    return true;
  }

  /** One interface's dump; an interface the board no longer has is an empty dump. */
  private async dumpOne(index: number): Promise<NetInterface[]> {
    try {
      return await this.nm.ifaceDump(index);
    } catch (err) {
      if (err instanceof BoardError && err.errnoName === 'ENODEV') return [];
      throw err;
    }
  }

  /** Diffs `dump` against the view (all of it, or just `only`) and calls the ops. */
  private apply(dump: readonly NetInterface[], only: number | undefined): void {
    if (this.closed) return;
    const fresh = new Map(this.filter(dump).map((i) => [i.index, i]));
    const scope = only === undefined ? new Set([...this.view.keys(), ...fresh.keys()]) : new Set([only]);
    for (const index of [...scope].sort((a, b) => a - b)) {
      const before = this.view.get(index);
      const after = fresh.get(index);
      if (before && !after) {
        this.view.delete(index);
        for (const a of before.addresses) this.emit('deleteAddress', before, a);
        this.emit('deleteInterface', before);
        continue;
      }
      if (!after) continue;
      this.view.set(index, after);
      if (!before) {
        this.emit('newInterface', after);
        for (const a of after.addresses) this.emit('newAddress', after, a);
        continue;
      }
      const old = new Map(before.addresses.map((a) => [addrKey(a), a]));
      const now = new Map(after.addresses.map((a) => [addrKey(a), a]));
      for (const [k, a] of old) if (!now.has(k)) this.emit('deleteAddress', after, a);
      if (ifaceSignature(before) !== ifaceSignature(after)) this.emit('updateInterface', after);
      for (const [k, a] of now) if (!old.has(k)) this.emit('newAddress', after, a);
    }
  }

  private emit<K extends keyof NetworkMonitorOps>(op: K, ...args: Parameters<NonNullable<NetworkMonitorOps[K]>>): void {
    for (const o of [...this.ops]) this.call(o, op, ...args);
  }

  private call<K extends keyof NetworkMonitorOps>(o: NetworkMonitorOps, op: K, ...args: Parameters<NonNullable<NetworkMonitorOps[K]>>): void {
    const fn = o[op] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn.apply(o, args);
    } catch {
      this.c.opsErrors++; // a failing op must not stop the others or corrupt the view
    }
  }

  /** mptcpd_nm_destroy: unsubscribes and stops refreshing. */
  async destroy(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.nm.off('resync', this.onResync);
    this.ops.clear();
    await this.nm.delEventCallback(this.callback).catch(() => undefined);
  }
}
