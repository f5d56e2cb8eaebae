// A minimal QUIC echo server and client on tquic's socket API (real UDP on 127.0.0.1).
//
//   node examples/echo.mjs
//
// The server echoes every bidirectional stream back to its sender. The client opens one
// stream, sends a few lines, times each round trip, checks each echo, then ends the stream,
// and both sides close cleanly.
import { connect, generateDevCertificate, listen } from 'tquic';
import { printTable } from './table.mjs';

const ALPN = 'echo-example'; // QUIC requires an application protocol name (ALPN); any will do
const MESSAGES = ['hello', 'QUIC', 'over UDP', 'in TypeScript', 'goodbye'];

// A self-signed certificate for 127.0.0.1, made on the spot; the client trusts exactly it.
const { certPem, keyPem } = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1'] });

// The server: port 0 picks a free port (server.address tells which).
const server = await listen({ host: '127.0.0.1', port: 0, cert: certPem, key: keyPem, alpn: [ALPN] });
let serverSide; // resolves with how the server's side of the connection ended
server.on('connection', (conn) => {
  serverSide = conn.closed;
  // Each stream is a Node.js Duplex: piping it into itself echoes, and ends our side when the
  // client ends its side.
  conn.on('stream', (stream) => stream.pipe(stream));
});
console.log(`server: listening on ${server.address.host}:${server.address.port}`);

// The client: verifies the server's certificate against `ca` for serverName.
const conn = await connect({ host: '127.0.0.1', port: server.address.port, serverName: 'localhost', ca: certPem, alpn: [ALPN] });
console.log(`client: connected (ALPN ${conn.alpn}), handshake RTT ${(conn.stats().smoothedRtt / 1000).toFixed(2)} ms`);

const stream = await conn.openStream(); // bidirectional by default
// The echo comes back as a byte stream: collect it and cut it into lines.
let received = '';
const waiting = [];
stream.setEncoding('utf8');
stream.on('data', (chunk) => {
  received += chunk;
  let nl;
  while ((nl = received.indexOf('\n')) >= 0 && waiting.length > 0) {
    waiting.shift()(received.slice(0, nl));
    received = received.slice(nl + 1);
  }
});
const ended = new Promise((resolve) => stream.once('end', resolve));
const nextLine = () => new Promise((resolve) => waiting.push(resolve));

const rows = [];
let ok = true;
for (const message of MESSAGES) {
  const t0 = performance.now();
  const reply = nextLine();
  stream.write(`${message}\n`);
  const echo = await reply;
  const ms = performance.now() - t0;
  ok &&= echo === message;
  rows.push({ sent: message, echoed: echo, 'round trip ms': ms.toFixed(2), match: echo === message ? 'yes' : 'NO' });
}
stream.end(); // our side is done; the server's pipe ends its side in turn
await ended;

const stats = conn.stats();
const info = await conn.close(0, 'bye'); // CONNECTION_CLOSE with code 0: no error
const serverInfo = await serverSide;
await server.close();

printTable(rows);
console.log(`\nclient: ${stats.packetsSent} packets sent, ${stats.packetsReceived} received, ${stats.packetsLost} lost, smoothed RTT ${(stats.smoothedRtt / 1000).toFixed(2)} ms`);
console.log(`client: closed (${info.kind} close, code ${info.code}, "${info.reason}")`);
console.log(`server: its side closed by the ${serverInfo.initiator === 'remote' ? 'client' : serverInfo.initiator} (${serverInfo.kind} close, code ${serverInfo.code}); server stopped`);
ok &&= info.code === 0 && serverInfo.code === 0 && serverInfo.initiator === 'remote';
if (!ok) {
  console.error('FAILED: an echo did not match what was sent, or the close was not clean');
  process.exit(1);
}
console.log(`echo: ${MESSAGES.length} of ${MESSAGES.length} messages came back intact`);

