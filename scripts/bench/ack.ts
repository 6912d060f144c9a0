/**
 * `npm run bench:ack`: what an acknowledgement costs. One room with SUBSCRIBERS
 * readers; one publisher sends RATE messages/s with a `ref` for ACK_S seconds and
 * times, for each message, its own copy (the broadcast) and its `ack` (which the
 * room sends once the store has the message). Prints p50/p99/max of both.
 *
 * BENCH_SERVER_ROOT=<another checkout> measures that build instead, for a
 * before/after of the same script; ACK_PROF=<dir> runs the server under --cpu-prof
 * into that directory. Loopback only; bounded in time and count.
 */
import { spawn } from 'node:child_process';
import { WebSocket } from 'ws';
import { startChatserver } from './servers.js';

const SUBSCRIBERS = Number(process.env.ACK_SUBSCRIBERS ?? 200);
const RATE = Number(process.env.ACK_RATE ?? 100);
const ACK_S = Number(process.env.ACK_S ?? 10);

interface Frame {
  type: string;
  ref?: string;
  id?: number;
  text?: string;
}

function join(port: number, name: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'join', name })));
    const onMessage = (data: Buffer) => {
      if (!data.toString().includes('"welcome"')) return;
      ws.off('message', onMessage);
      resolve(ws);
    };
    ws.on('message', onMessage);
  });
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const line = (label: string, xs: number[]) =>
  `${label}: p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length})`;

if (process.argv[2] === '--readers') {
  // The readers' process: joins, says so, reads until its stdin closes.
  const port = Number(process.argv[3]);
  const readers: WebSocket[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) readers.push(await join(port, `r${i}`));
  console.log('joined');
  process.stdin.on('end', () => process.exit(0)).resume();
  setTimeout(() => process.exit(0), (ACK_S + 60) * 1000).unref();
} else {
  const server = await startChatserver(
    { RATE_LIMIT_MESSAGES: '100000', RATE_LIMIT_WINDOW_S: '1' },
    process.env.ACK_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ACK_PROF}`] : [],
  );
  try {
    const { port } = await server.createRoom('ackroom');
    // The readers live in a process of their own, and the publisher joins first (the
    // room writes to it first in each pass): what is timed is the server's path, not
    // a client process working through 200 readers' messages before the publisher's.
    const publisher = await join(port, 'publisher');
    const readers = spawn(process.execPath, [process.argv[1]!, '--readers', String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      readers.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('joined') && resolve());
      readers.once('exit', () => reject(new Error('the readers did not join')));
    });
    const sentAt = new Map<string, number>();
    const copy: number[] = [];
    const ack: number[] = [];
    publisher.on('message', (data: Buffer) => {
      const now = performance.now();
      for (const text of data.toString().split('\n')) {
        const frame = JSON.parse(text) as Frame;
        if (frame.type === 'ack' && frame.ref !== undefined) ack.push(now - sentAt.get(frame.ref)!);
        else if (frame.type === 'message' && frame.text?.startsWith('m')) copy.push(now - sentAt.get(frame.text)!);
      }
    });
    const total = RATE * ACK_S;
    for (let i = 0; i < total; i++) {
      const ref = `m${i}`;
      sentAt.set(ref, performance.now());
      publisher.send(JSON.stringify({ type: 'message', text: ref, ref }));
      await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
    }
    const deadline = Date.now() + 10_000;
    while ((ack.length < total || copy.length < total) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(
      `${RATE} messages/s for ${ACK_S} s to ${SUBSCRIBERS} readers (${process.env.BENCH_SERVER_ROOT ?? 'this build'})`,
    );
    console.log(line('own copy', copy));
    console.log(line('ack     ', ack));
    publisher.terminate();
    readers.stdin.end();
  } finally {
    await server.stop();
  }
}
