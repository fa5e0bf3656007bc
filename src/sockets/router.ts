/**
 * Routes the board's pushed socket notifications (SOCK_DATA, SOCK_EVENT) to the stream that owns
 * the socket, one router per Client, and ends every registered stream with ConnectionResetError
 * when the board reboots or the line is lost (pushed data may have been lost with the link).
 */
import type { CborMap } from '../codec/cbor.js';
import * as f from '../codec/fields.js';
import { type Message, Op } from '../codec/messages.js';
import type { Client } from '../session/client.js';
import { type SockAddr, parseSockAddr } from './addr.js';
import { ConnectionResetError } from './errors.js';

/** SOCK_EVENT kinds (netbridge.cddl sock-event-ntf key 2). */
export const SockEvent = { EOF: 1, ERROR: 2, ACCEPTABLE: 3 } as const;

export interface PushHandler {
  onData(data: Uint8Array, from: SockAddr | undefined): void;
  onEvent(kind: number, errno: number | undefined): void;
  /** The board or the line went away; the handler must end without talking to the socket again. */
  onReset(err: ConnectionResetError): void;
}

export interface RouterCounters {
  dataNotifications: number;
  dataBytes: number;
  eventNotifications: number;
  /** Pushed data for a socket no stream owns (closed meanwhile): dropped. */
  orphanNotifications: number;
  orphanBytes: number;
  malformed: number;
  resets: number;
}

const routers = new WeakMap<Client, SocketRouter>();

export class SocketRouter {
  private readonly handlers = new Map<number, PushHandler>();
  private readonly c: RouterCounters = {
    dataNotifications: 0,
    dataBytes: 0,
    eventNotifications: 0,
    orphanNotifications: 0,
    orphanBytes: 0,
    malformed: 0,
    resets: 0,
  };

  static for(client: Client): SocketRouter {
    let r = routers.get(client);
    if (!r) {
      r = new SocketRouter(client);
      routers.set(client, r);
    }
    return r;
  }

  private constructor(readonly client: Client) {
    client.on('notification', (msg: Message) => this.onNotification(msg));
    client.on('reboot', (e: { previousBootId: string; info: { bootId: string } }) =>
      this.resetAll(new ConnectionResetError('board-rebooted', `board rebooted (boot id ${e.previousBootId} -> ${e.info.bootId})`)),
    );
    client.on('linkdown', (err: Error) =>
      this.resetAll(new ConnectionResetError('link-down', `link to the board lost: ${err.message}`, { cause: err })),
    );
    // A re-handshake without reboot follows a link reset: frames in flight may be gone.
    client.on('reconnect', (e: { rebooted: boolean }) => {
      if (!e.rebooted) this.resetAll(new ConnectionResetError('link-down', 'link to the board was reset; pushed data may be lost'));
    });
    client.on('close', (reason?: Error) =>
      this.resetAll(
        new ConnectionResetError('client-closed', `bridge client closed${reason ? `: ${reason.message}` : ''}`, { cause: reason }),
      ),
    );
  }

  /**
   * Closes `fd` on the board only while the board is still the boot that opened it: a close issued
   * while the session reconnects waits for the new HELLO and is dropped if the board rebooted, since
   * the same fd number may by then belong to a new socket.
   */
  closeOnBoot(fd: number, bootId: string, close: (fd: number) => Promise<void>): Promise<void> {
    const c = this.client;
    if (c.state === 'closed') return Promise.resolve();
    if (c.state === 'ready') return c.info.bootId === bootId ? close(fd).catch(() => {}) : Promise.resolve();
    return new Promise<void>((resolve) => {
      const onReconnect = (e: { info: { bootId: string } }) => {
        c.off('close', onClose);
        if (e.info.bootId === bootId) close(fd).catch(() => {}).finally(resolve);
        else resolve();
      };
      const onClose = () => {
        c.off('reconnect', onReconnect);
        resolve();
      };
      c.once('reconnect', onReconnect);
      c.once('close', onClose);
    });
  }

  register(fd: number, handler: PushHandler): void {
    this.handlers.set(fd, handler);
  }

  unregister(fd: number, handler: PushHandler): void {
    if (this.handlers.get(fd) === handler) this.handlers.delete(fd);
  }

  get size(): number {
    return this.handlers.size;
  }

  counters(): RouterCounters {
    return { ...this.c };
  }

  private resetAll(err: ConnectionResetError): void {
    const all = [...this.handlers.values()];
    this.handlers.clear();
    if (all.length) this.c.resets++;
    for (const h of all) h.onReset(err);
  }

  private onNotification(msg: Message): void {
    if (msg.op !== Op.SOCK_DATA && msg.op !== Op.SOCK_EVENT) return;
    let fd: number;
    try {
      fd = f.uint(msg.body, 1, 'socket notification');
    } catch {
      this.c.malformed++;
      return;
    }
    const h = this.handlers.get(fd);
    if (msg.op === Op.SOCK_DATA) return this.onData(msg.body, h);
    this.c.eventNotifications++;
    let kind: number;
    let errno: number | undefined;
    try {
      kind = f.uint(msg.body, 2, 'SOCK_EVENT');
      errno = f.optInt(msg.body, 3, 'SOCK_EVENT');
    } catch {
      this.c.malformed++;
      return;
    }
    if (!h) {
      this.c.orphanNotifications++;
      return;
    }
    h.onEvent(kind, errno);
  }

  private onData(b: CborMap, h: PushHandler | undefined): void {
    let data: Uint8Array;
    let from: SockAddr | undefined;
    try {
      data = f.bytes(b, 2, 'SOCK_DATA');
      from = b.has(3) ? parseSockAddr(b.get(3), 'SOCK_DATA') : undefined;
    } catch {
      this.c.malformed++;
      return;
    }
    this.c.dataNotifications++;
    this.c.dataBytes += data.length;
    if (!h) {
      this.c.orphanNotifications++;
      this.c.orphanBytes += data.length;
      return;
    }
    h.onData(data, from);
  }
}
