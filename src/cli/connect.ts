/** Opens a session with the board named by the global options (a serial device or tcp:HOST:PORT). */
import type { Duplex } from 'node:stream';
import { Client, type ClientOptions } from '../session/client.js';
import { connectTcp } from '../transport/tcp.js';
import type { Ctx } from './context.js';
import { resolvePort } from './options.js';

export interface Session {
  client: Client;
  /** The port as the user named it. */
  port: string;
  close(): Promise<void>;
}

export async function openSession(ctx: Ctx, extra: Partial<ClientOptions> = {}): Promise<Session> {
  const spec = resolvePort(ctx.g, ctx.io.env);
  const base: ClientOptions = { timeout: ctx.g.timeout, ...extra };
  let transport: Duplex | undefined;
  let port: string;
  if (spec.kind === 'tcp') {
    port = `tcp:${spec.host}:${spec.port}`;
    ctx.debug(`connecting to ${port}`);
    transport = await connectTcp(spec.host, spec.port);
    base.transport = transport;
  } else {
    port = spec.path;
    ctx.debug(`opening ${port} at ${ctx.g.baud} baud`);
    base.path = spec.path;
    base.baudRate = ctx.g.baud;
  }
  let client: Client;
  try {
    client = await Client.open(base);
  } catch (err) {
    transport?.destroy();
    throw err;
  }
  const b = client.info;
  ctx.debug(`session up: ${b.board}, firmware ${b.firmwareVersion}, boot ${b.bootId}`);
  return {
    client,
    port,
    close: async () => {
      await client.close();
      transport?.destroy(); // a transport handed to the client is ours to close
    },
  };
}
