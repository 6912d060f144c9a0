/**
 * `npm run bench:tips`: does a hanging credit service slow ordinary chat? One room
 * with TIPS_READERS readers; a publisher sends TIPS_RATE messages/s and times each
 * one's own copy (the broadcast back to it). In alternating phases of TIPS_PHASE_S
 * seconds, signed-in tippers either stay quiet or send TIPS_TIP_RATE tips/s to a
 * credit service that accepts connections and never answers (each tip ends in
 * UNAVAILABLE: a timeout, then the open circuit). Prints p50/p99 of both and the
 * p99 ratio (hanging / quiet); 1.0 is "unchanged". Loopback only; bounded.
 */
import { createServer, type Server } from 'node:net';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { startChatserver } from './servers.js';

const READERS = Number(process.env.TIPS_READERS ?? 100);
const RATE = Number(process.env.TIPS_RATE ?? 100);
const TIP_RATE = Number(process.env.TIPS_TIP_RATE ?? 20);
const PHASE_S = Number(process.env.TIPS_PHASE_S ?? 5);
const PHASES = Number(process.env.TIPS_PHASES ?? 4);
const SECRET = 'bench-auth-secret-that-is-long-enough';
const ROOM = 'tipsroom';

interface Frame {
  type: string;
  ref?: string;
  code?: string;
  text?: string;
}

function join(port: number, join: Record<string, unknown>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'join', ...join })));
    const onMessage = (data: Buffer) => {
      if (!data.toString().includes('"welcome"')) return;
      ws.off('message', onMessage);
      resolve(ws);
    };
    ws.on('message', onMessage);
  });
}

function signed(sub: string): Promise<string> {
  return new SignJWT({ name: sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** A credit service that takes every connection and never answers. */
async function hangingService(): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/debit`, server };
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const line = (label: string, xs: number[]) =>
  `${label}: p50 ${percentile(xs, 50).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms (${xs.length} messages)`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const credit = await hangingService();
const server = await startChatserver({
  AUTH_SECRET: SECRET,
  ALLOW_GUESTS: 'on',
  RATE_LIMIT_MESSAGES: '100000',
  RATE_LIMIT_WINDOW_S: '1',
  CREDIT_SERVICE_URL: credit.url,
  CREDIT_SERVICE_SECRET: 'bench-credit-secret',
  CREDIT_TIMEOUT_MS: '2000',
});
try {
  const { port } = await server.createRoom(ROOM);
  const publisher = await join(port, { name: 'publisher' });
  const readers: WebSocket[] = [];
  for (let i = 0; i < READERS; i++) readers.push(await join(port, { name: `r${i}` }));
  const tippers: WebSocket[] = [];
  for (let i = 0; i < 10; i++) tippers.push(await join(port, { token: await signed(`tipper${i}`) }));
  let unavailable = 0;
  for (const t of tippers)
    t.on('message', (data: Buffer) => {
      for (const text of data.toString().split('\n'))
        if ((JSON.parse(text) as Frame).code === 'UNAVAILABLE') unavailable += 1;
    });

  const sentAt = new Map<string, number>();
  const quiet: number[] = [];
  const hanging: number[] = [];
  let into = quiet;
  publisher.on('message', (data: Buffer) => {
    const now = performance.now();
    for (const text of data.toString().split('\n')) {
      const frame = JSON.parse(text) as Frame;
      if (frame.type === 'message' && frame.text !== undefined && sentAt.has(frame.text))
        into.push(now - sentAt.get(frame.text)!);
    }
  });

  let seq = 0;
  let tipSeq = 0;
  for (let phase = 0; phase < PHASES; phase++) {
    const tipping = phase % 2 === 1;
    into = tipping ? hanging : quiet;
    const end = performance.now() + PHASE_S * 1000;
    let nextTip = performance.now();
    while (performance.now() < end) {
      const text = `m${seq++}`;
      sentAt.set(text, performance.now());
      publisher.send(JSON.stringify({ type: 'message', text }));
      if (tipping && performance.now() >= nextTip) {
        const tipper = tippers[tipSeq % tippers.length]!;
        tipper.send(JSON.stringify({ type: 'tip', amount: 10, text: 'tip', ref: `t${tipSeq++}` }));
        nextTip += 1000 / TIP_RATE;
      }
      await sleep(1000 / RATE);
    }
    await sleep(200); // the phase's last copies arrive before the next phase counts
  }
  const ratio = percentile(hanging, 99) / percentile(quiet, 99);
  console.log(
    `${RATE} messages/s to ${READERS} readers; ${PHASES} phases of ${PHASE_S} s, every other one with ` +
      `${TIP_RATE} tips/s to a credit service that never answers (${tipSeq} tips, ${unavailable} answered UNAVAILABLE)`,
  );
  console.log(line('quiet  ', quiet));
  console.log(line('hanging', hanging));
  console.log(`p99 ratio (hanging / quiet): ${ratio.toFixed(2)}`);
  for (const ws of [publisher, ...readers, ...tippers]) ws.terminate();
} finally {
  await server.stop();
  credit.server.close();
}
