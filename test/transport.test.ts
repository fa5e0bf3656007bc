import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortError } from '../src/errors.js';
import { Client } from '../src/session/client.js';
import { connectTcp } from '../src/transport/tcp.js';
import { createMemoryPair } from '../src/transport/memory.js';
import { FakeBoard } from './helpers/fake-board.js';

describe('memory pair', () => {
  it('carries bytes both ways, copied, and ends the peer on end()', async () => {
    const [a, b] = createMemoryPair();
    const got: Buffer[] = [];
    b.on('data', (c: Buffer) => got.push(c));
    const ended = new Promise((r) => b.once('end', r));
    const buf = Buffer.from([1, 2, 3]);
    a.write(buf);
    buf[0] = 9; // the writer may reuse its buffer
    a.end();
    b.resume();
    await ended;
    expect(Buffer.concat(got)).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe('TCP transport', () => {
  it('connects and runs a session over TCP', async () => {
    let board: FakeBoard | undefined;
    const server = createServer((socket) => {
      board = new FakeBoard(socket);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const socket = await connectTcp('127.0.0.1', port);
    const client = await Client.open({ transport: socket, timeout: 2000, heartbeatMs: 0 });
    expect((await client.ping(Uint8Array.of(1, 2))).data).toEqual(Uint8Array.of(1, 2));
    await client.close();
    socket.destroy();
    board?.close();
    await new Promise((r) => server.close(r));
  });

  it('reports a refused connection as PortError', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r)); // nobody listens there now
    const err = await connectTcp('127.0.0.1', port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortError);
    expect((err as PortError).code).toBe('NB_PORT');
  });
});

describe('serial transport', () => {
  // A real pty pair (python's pty module) stands in for a board's tty: the port must be releasable.
  it('can open the same tty again after closeTransport (the exclusive lock is released)', async () => {
    const { spawn } = await import('node:child_process');
    const { closeTransport, openSerialPort } = await import('../src/transport/serial.js');
    const holder = spawn('python3', ['-c', 'import os,pty,time\nm,s=pty.openpty()\nprint(os.ttyname(s),flush=True)\ntime.sleep(20)'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const path = await new Promise<string>((resolve) => holder.stdout.once('data', (d: Buffer) => resolve(String(d).trim())));
      for (let i = 0; i < 3; i++) {
        const port = await openSerialPort(path);
        expect(port.destroyed).toBe(false);
        await closeTransport(port);
      }
      await expect(openSerialPort('/dev/netbridge-no-such-tty')).rejects.toBeInstanceOf(PortError);
    } finally {
      holder.kill();
    }
  });
});
