/**
 * Fetch a web page through a TCP socket on the board: the board resolves the name and connects,
 * the host writes the request and reads the answer as a Node stream.
 *
 *   npx tsx examples/fetch-page.ts /dev/ttyACM0 http://example.com/
 *
 * In QEMU (user networking) the host's own 127.0.0.1 is 10.0.2.2 on the board:
 *   python3 -m http.server 8000 &  npx tsx examples/fetch-page.ts /dev/pts/N http://10.0.2.2:8000/
 */
import { Client, createNetApi } from '../src/index.js';

const [port = process.env.NETBRIDGE_PORT, address = 'http://10.0.2.2:8000/'] = process.argv.slice(2);
if (!port) {
  console.error('usage: tsx examples/fetch-page.ts <port> [http://host[:port]/path]');
  process.exit(2);
}
const url = new URL(address);
if (url.protocol !== 'http:') {
  console.error('only http:// here (TLS needs credentials on the board; see docs/host-api.md)');
  process.exit(2);
}

const client = await Client.open({ path: port, timeout: 15_000 });
try {
  const net = createNetApi(client);
  const socket = await net.connectAsync({ host: url.hostname, port: Number(url.port || 80), allowHalfOpen: true });
  // HTTP/1.0 with Connection: close: the server closes when done (no half-close needed, which some
  // Zephyr versions refuse with ENOTSUP).
  socket.write(`GET ${url.pathname}${url.search} HTTP/1.0\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  socket.destroy();
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', ...body] = text.split('\r\n\r\n');
  console.error(head.split('\r\n')[0]); // status line on stderr, the page on stdout
  process.stdout.write(body.join('\r\n\r\n'));
} finally {
  await client.close();
}
