/**
 * The same job on Socket.IO 4: every 'message' event a client emits goes to
 * every connected client (io.emit). WebSocket transport only, as the load
 * generator speaks it. Prints {"ports":[…]} on stdout once listening. Loopback only.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  socket.on('message', (message: unknown) => io.emit('message', message));
});
http.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ ports: [(http.address() as { port: number }).port] }));
});
process.on('SIGTERM', () => process.exit(0));
