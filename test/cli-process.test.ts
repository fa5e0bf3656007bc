/**
 * The CLI as a user runs it: `node bin/netbridge.js ...` in a child process against a board over
 * TCP (--port tcp:HOST:PORT), output parsed, exit statuses checked, SIGINT handled. The board is the
 * in-memory fake plus the net_mgmt answers it lacks (interface dump, subscriptions, events).
 */
import { spawn } from 'node:child_process';
import { type Server, type Socket, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CborMap } from '../src/codec/cbor.js';
import { Kind, Op, decodeMessage } from '../src/codec/messages.js';
import { doneBody, overrunBody } from '../src/codec/session-bodies.js';
import { NET_EVENT_IF_DOWN, NET_EVENT_IPV4_ADDR_ADD } from '../src/netmgmt/codes.js';
import { FakeBoard } from './helpers/fake-board.js';
import { SocketsFakeBoard } from './sockets-fake-board.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'netbridge.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  opts: { onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void; onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void; timeoutMs?: number; stdin?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', NETBRIDGE_PORT: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      opts.onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onStderr?.(stderr, (s) => child.kill(s));
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // let the pipes drain
      setTimeout(() => resolve({ code, signal, stdout, stderr }), 20);
    });
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l.length > 0);

/** IFACE_DUMP items as the board encodes them (netbridge.cddl iface-item). */
function ifaceItem(index: number, name: string, addr: number[] | null): CborMap {
  const addresses = addr
    ? [new Map<number, unknown>([[1, 4], [2, Uint8Array.from(addr)], [3, 24], [4, 1], [5, 2], [6, 86400]])]
    : [];
  return new Map<number, unknown>([
    [1, index],
    [2, name],
    [3, 'ETHERNET'],
    [4, 1500],
    [5, 0b11],
    [6, Uint8Array.of(0, 0, 0x5e, 0, 0x53, index)],
    [7, addresses],
    [8, []],
    [9, 'netbridge'],
  ]) as CborMap;
}

function eventBody(code: bigint, ifindex: number, info?: CborMap): CborMap {
  const m = new Map<number, unknown>([[1, code], [2, ifindex], [3, 5000]]);
  if (info) m.set(4, info);
  return m as CborMap;
}

let server: Server;
let port = 0;
const boards = new Set<FakeBoard>();
/** What a test wants the board to do once the host subscribes to events. */
let onSubscribed: (board: FakeBoard) => void = () => {};

function attach(socket: Socket): void {
  socket.on('error', () => {});
  const board = new FakeBoard(socket, { silentOps: new Set([Op.IFACE_DUMP, Op.EVT_SUBSCRIBE]) });
  boards.add(board);
  socket.on('close', () => {
    board.close();
    boards.delete(board);
  });
  board.link.on('message', (payload: Uint8Array) => {
    const req = decodeMessage(payload);
    if (req.kind !== Kind.REQ) return;
    if (req.op === Op.IFACE_DUMP) {
      void board.send({ kind: Kind.ITEM, op: req.op, id: req.id, body: ifaceItem(1, 'eth0', [10, 0, 2, 15]) });
      void board.send({ kind: Kind.ITEM, op: req.op, id: req.id, body: ifaceItem(2, 'eth1', null) });
      void board.send({ kind: Kind.DONE, op: req.op, id: req.id, body: doneBody({ count: 2, interrupted: false }) });
    } else if (req.op === Op.EVT_SUBSCRIBE) {
      void board.send({ kind: Kind.RSP, op: req.op, id: req.id, body: new Map() });
      const masks = req.body.get(1);
      if (Array.isArray(masks) && masks.length > 0) setTimeout(() => onSubscribed(board), 30);
    }
  });
}

beforeAll(async () => {
  server = createServer(attach);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterEach(() => {
  onSubscribed = () => {};
});
afterAll(async () => {
  for (const b of boards) b.close();
  await new Promise((r) => server.close(r));
});

const at = () => ['--port', `tcp:127.0.0.1:${port}`];

describe('netbridge CLI against a board', () => {
  it('info --json prints one object with the handshake facts, limits and counters', async () => {
    const r = await cli(['info', '--json', ...at()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    const j = JSON.parse(out[0] as string) as { port: string; info: { board: string; limits: { maxSockets: number } }; host: { framesIn: number }; board: { framesIn: number } };
    expect(j.port).toBe(`tcp:127.0.0.1:${port}`);
    expect(j.info.board).toBe('fake/board');
    expect(j.info.limits.maxSockets).toBe(8);
    expect(j.host.framesIn).toBeGreaterThan(0);
    expect(j.board.framesIn).toBeGreaterThan(0);
  });

  it('info without --json is a readable summary; global options may precede the command', async () => {
    const r = await cli([...at(), '--timeout', '3s', 'info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^board\s+fake\/board$/m);
    expect(r.stdout).toMatch(/^features\s+events, sockets$/m);
    expect(r.stdout).not.toContain('\x1b['); // not a TTY, and NO_COLOR
  });

  it('ifaces --json prints one interface per line', async () => {
    const r = await cli(['ifaces', '--json', ...at()]);
    expect(r.code).toBe(0);
    const ifs = lines(r.stdout).map((l) => JSON.parse(l) as { index: number; name: string; addresses: { address: string; origin: string }[]; flagNames: string[] });
    expect(ifs.map((i) => [i.index, i.name])).toEqual([[1, 'eth0'], [2, 'eth1']]);
    expect(ifs[0]?.addresses[0]).toMatchObject({ address: '10.0.2.15', origin: 'dhcp' });
    expect(ifs[0]?.flagNames).toEqual(expect.arrayContaining(['ADMIN_UP', 'OPER_UP']));
  });

  it('ifaces prints a table', async () => {
    const r = await cli(['ifaces', ...at()]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)[1]).toMatch(/^1\s+eth0\s+ETHERNET\s+1500\s+up\s+00:00:5e:00:53:01\s+10\.0\.2\.15\/24 \(dhcp\)$/);
  });

  it('monitor --json: one object per event line, overruns and the resync on the same stream', async () => {
    onSubscribed = (board) => {
      void board.notify(Op.EVENT, eventBody(NET_EVENT_IPV4_ADDR_ADD, 1, new Map<number, unknown>([[1, 4], [2, Uint8Array.of(10, 0, 2, 15)], [3, 24]]) as CborMap));
      void board.notify(Op.OVERRUN, overrunBody({ whatCode: 1, count: 2, total: 2 }));
      setTimeout(() => void board.notify(Op.EVENT, eventBody(NET_EVENT_IF_DOWN, 2)), 300);
    };
    const r = await cli(['monitor', '--json', '--count', '2', ...at()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const objs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = objs.filter((o) => o.type === 'event');
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ event: 'NET_EVENT_IPV4_ADDR_ADD', layer: 'L3', iface: 1, info: { family: 4, address: '10.0.2.15', prefixLen: 24 } });
    expect(BigInt(events[0]?.code as string)).toBe(NET_EVENT_IPV4_ADDR_ADD);
    expect(events[1]).toMatchObject({ event: 'NET_EVENT_IF_DOWN', layer: 'L2', iface: 2, info: null });
    for (const e of events) expect(Date.parse(e.time as string)).not.toBeNaN();
    expect(objs.find((o) => o.type === 'overrun')).toMatchObject({ what: 'events', count: 2, total: 2 });
    const resync = objs.find((o) => o.type === 'resync') as { reason: string; interfaces: { name: string }[] } | undefined;
    expect(resync?.reason).toBe('overrun');
    expect(resync?.interfaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
  });

  it('monitor --event filters exactly: only the named events are printed', async () => {
    onSubscribed = (board) => {
      void board.notify(Op.EVENT, eventBody(NET_EVENT_IPV4_ADDR_ADD, 1));
      void board.notify(Op.EVENT, eventBody(NET_EVENT_IF_DOWN, 1));
    };
    const r = await cli(['monitor', '--json', '--count', '1', '--event', 'IF_DOWN', ...at()]);
    expect(r.code).toBe(0);
    const events = lines(r.stdout).map((l) => JSON.parse(l) as { event: string });
    expect(events.map((e) => e.event)).toEqual(['NET_EVENT_IF_DOWN']);
  });

  it('monitor ends cleanly on Ctrl-C (SIGINT) with exit status 130', async () => {
    onSubscribed = (board) => void board.notify(Op.EVENT, eventBody(NET_EVENT_IF_DOWN, 1));
    let sent = false;
    const r = await cli(['monitor', ...at()], {
      onStdout: (text, kill) => {
        if (!sent && text.includes('IF_DOWN')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.signal).toBeNull(); // it exited by itself, not killed by the signal
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  IF_DOWN\s+iface 1$/m);
    expect(r.stderr).toBe('');
  });
});

describe('netbridge CLI failures', () => {
  it('a port that does not exist: one line, exit status 1', async () => {
    const r = await cli(['info', '--port', '/dev/netbridge-no-such-port']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^netbridge: cannot open \/dev\/netbridge-no-such-port.*\(NB_PORT\)$/m);
  });

  it('--verbose adds the stack', async () => {
    const r = await cli(['info', '--verbose', '--port', '/dev/netbridge-no-such-port']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr).length).toBeGreaterThan(2);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  it('a refused TCP port: exit status 1', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const r = await cli(['ifaces', '--port', `tcp:127.0.0.1:${p}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ECONNREFUSED.*\(NB_PORT\)/);
  });

  it('a silent port: the handshake times out within --timeout', async () => {
    const silent = createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const p = (silent.address() as { port: number }).port;
    const t0 = Date.now();
    const r = await cli(['info', '--timeout', '500', '--port', `tcp:127.0.0.1:${p}`]);
    silent.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\(NB_ETIMEDOUT\)$/m);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('usage errors exit 2: no port, unknown command, bad option value, unknown event', async () => {
    for (const args of [['info'], ['frobnicate'], ['info', '--baud', 'fast', '--port', '/dev/x'], ['monitor', '--event', 'NOPE', '--port', '/dev/x']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^netbridge: /);
    }
  });

  it('ports --no-probe --json lists without opening anything', async () => {
    const r = await cli(['ports', '--no-probe', '--json', '/dev/netbridge-extra']);
    if (r.code === 1 && r.stderr.includes('NB_CLI_NO_UDEVADM')) return; // no udev here: that error is the contract
    expect(r.code).toBe(0);
    const rows = lines(r.stdout).map((l) => JSON.parse(l) as { path: string; netbridge: unknown; probeError: unknown });
    expect(rows.find((p) => p.path === '/dev/netbridge-extra')).toMatchObject({ netbridge: null, probeError: null });
  });

  it('--help works on every command and exits 0', async () => {
    for (const c of ['ports', 'info', 'ifaces', 'monitor', 'qemu']) {
      const r = await cli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`^Usage: netbridge ${c}`, 'm'));
      expect(r.stdout, c).toContain('--port');
    }
  });
});

describe('netbridge nc against a board with sockets', () => {
  let sockServer: Server;
  let sockPort = 0;
  const sockBoards = new Set<SocketsFakeBoard>();
  beforeAll(async () => {
    sockServer = createServer((socket) => {
      socket.on('error', () => {});
      const board = new SocketsFakeBoard(socket);
      sockBoards.add(board);
      socket.on('close', () => board.close());
    });
    await new Promise<void>((r) => sockServer.listen(0, '127.0.0.1', r));
    sockPort = (sockServer.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const b of sockBoards) b.close();
    await new Promise((r) => sockServer.close(r));
  });
  const sat = () => ['--port', `tcp:127.0.0.1:${sockPort}`];

  it('a refused connection: one line, exit status 1', async () => {
    const r = await cli(['nc', '127.0.0.1', '9', ...sat()], { stdin: 'hello' });
    expect(r.code).toBe(1);
    expect(lines(r.stderr), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  });

  it('-l waits for a connection on the board and ends on Ctrl-C with 130', async () => {
    let sent = false;
    const r = await cli(['nc', '-l', '7000', '--verbose', ...sat()], {
      onStderr: (text, kill) => {
        if (!sent && text.includes('listening on the board at')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/listening on the board at 0\.0\.0\.0:7000/);
  });

  it('-u sends stdin as datagrams and exits 0 after --wait', async () => {
    const t0 = Date.now();
    const r = await cli(['nc', '-u', '-w', '200', '127.0.0.1', '7001', ...sat()], { stdin: 'ping' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });

  it('usage errors exit 2', async () => {
    for (const args of [['nc', ...sat()], ['nc', 'example.com', ...sat()], ['nc', 'h', '70000', ...sat()]]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});
