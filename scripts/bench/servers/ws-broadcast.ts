/**
 * The baseline: a bare `ws` broadcast server, as its README shows it. Every
 * message a client sends is sent to every client of the same room with one
 * send() each: no coalescing, no serialisation, no checks. BENCH_ROOMS rooms
 * (default 1), each its own listener, all on this one event loop; prints
 * {"ports":[…]} on stdout once listening. Loopback only.
 */
import { WebSocketServer } from 'ws';

const rooms = Number(process.env.BENCH_ROOMS ?? '1');
const ports: number[] = [];
for (let i = 0; i < rooms; i++) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('error', (error) => console.error(error));
  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      for (const client of wss.clients) client.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  ports.push((wss.address() as { port: number }).port);
}
console.log(JSON.stringify({ ports }));
process.on('SIGTERM', () => process.exit(0));
