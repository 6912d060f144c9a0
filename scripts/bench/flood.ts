/**
 * `npm run bench:flood`: how long a room creation takes while the public port is
 * flooded, against the same creation on an idle server, in one run.
 *
 * The flood is 2,000 keep-alive sockets spread over 20 loopback source addresses
 * (127.0.0.11–30), each sending `GET /api/v1/` again as soon as its previous answer
 * arrives, for FLOOD_S seconds. Each creation is a keyed `POST /api/v1/room/:name`
 * on a new connection from 127.0.0.1, as a web app's server would make it. Prints
 * the median and worst creation times, their ratio (flooded ÷ idle), the flood's
 * request rate and how much of it the per-address limit answered 429. The flood
 * runs in a child process of its own (this file with `--flood PORT`), so its
 * sockets never delay the measuring process's clock. Loopback only; bounded in
 * sockets and time. FLOOD_PROF=<dir> runs the server under --cpu-prof into that directory.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startChatserver } from './servers.js';

const SOCKETS = Number(process.env.FLOOD_SOCKETS ?? 2_000);
const ADDRESSES = 20;
const FLOOD_S = Number(process.env.FLOOD_S ?? 10);
const CREATES = 8;

function createOnNewConnection(port: number, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/v1/room/${name}`,
        headers: { 'X-API-Key': 'bench-key' },
        agent: false,
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 201 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Creation times; a creation that failed (reset, refused, no answer in 30 s) counts as `failed` instead. */
async function creations(port: number, prefix: string): Promise<{ times: number[]; failed: string[] }> {
  const times: number[] = [];
  const failed: string[] = [];
  for (let i = 0; i < CREATES; i++) {
    await createOnNewConnection(port, `${prefix}${i}`).then(
      (ms) => times.push(ms),
      (error: Error) => failed.push(error.message),
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { times, failed };
}

/**
 * The flood, in its own process: prints `connected` once every socket is in and asking, runs
 * until stdin closes, then prints `{answers, limited, seconds}`.
 */
function flood(port: number): void {
  let answers = 0;
  let limited = 0;
  const started = performance.now();
  const sockets: Socket[] = [];
  const ask = 'GET /api/v1/ HTTP/1.1\r\nHost: bench\r\n\r\n';
  // Every socket connects first and stays quiet until all are in (an idle server
  // accepts 2,000 connections at once); then all of them start asking. What is
  // measured is creation beside 2,000 busy keep-alive connections, not behind a
  // backlog of unaccepted ones. A socket the server closes comes straight back (a
  // flood does not give up), asking at once.
  let opened = 0;
  let reconnects = 0;
  let ending = false;
  const start = () => {
    for (const socket of sockets) socket.write(ask);
    // Two seconds in, the flood is at its pace (and what the server refused has come back).
    setTimeout(() => console.log('connected'), 2_000);
  };
  const open = (i: number, asking: boolean) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: `127.0.0.${11 + (i % ADDRESSES)}` });
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      if (asking) socket.write(ask);
      else if (++opened === SOCKETS) setTimeout(start, 1_000);
    });
    socket.on('data', (chunk: string) => {
      // One answer per request: count status lines; the JSON bodies never hold one.
      for (let at = chunk.indexOf('HTTP/1.1 '); at !== -1; at = chunk.indexOf('HTTP/1.1 ', at + 1)) {
        answers += 1;
        if (chunk.startsWith('429', at + 9)) limited += 1;
        if (!socket.writableEnded) socket.write(ask);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (ending) return;
      reconnects += 1;
      sockets[i] = open(i, true);
    });
    return socket;
  };
  for (let i = 0; i < SOCKETS; i++) sockets.push(open(i, false));
  const end = () => {
    ending = true;
    sockets.forEach((s) => s.destroy());
    console.log(JSON.stringify({ answers, limited, reconnects, seconds: (performance.now() - started) / 1000 }));
    process.exit(0);
  };
  process.stdin.on('end', end).resume();
  setTimeout(end, (FLOOD_S + 60) * 1000).unref(); // bounded even if the parent is gone
}

async function floodWhile<T>(
  port: number,
  work: () => Promise<T>,
): Promise<{ result: T; rate: number; limitedShare: number; reconnectRate: number }> {
  const child = spawn(process.execPath, [process.argv[1]!, '--flood', String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Measure a flood in progress, not its connection storm: wait until every socket is in.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the flood did not connect within 60 s')), 60_000);
    child.stdout.on('data', () => {
      if (!out.includes('connected')) return;
      clearTimeout(timer);
      resolve();
    });
  });
  const started = performance.now();
  const result = await work();
  const remaining = FLOOD_S * 1000 - (performance.now() - started);
  if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
  child.stdin.end();
  await exited;
  const stats = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    answers: number;
    limited: number;
    reconnects: number;
    seconds: number;
  };
  return {
    result,
    rate: stats.answers / stats.seconds,
    limitedShare: stats.answers === 0 ? 0 : stats.limited / stats.answers,
    reconnectRate: stats.reconnects / stats.seconds,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

if (process.argv[2] === '--flood') {
  flood(Number(process.argv[3]));
} else {
  const server = await startChatserver(
    {
      MAX_ROOMS: String(2 * CREATES + 2),
      // The public API's limits as given to this script (to compare settings), else the defaults.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('PUBLIC_'))),
    },
    process.env.FLOOD_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLOOD_PROF}`] : [],
  );
  try {
    const port = server.ports[0]!;
    const idle = await creations(port, 'idle');
    const {
      result: flooded,
      rate,
      limitedShare,
      reconnectRate,
    } = await floodWhile(port, () => creations(port, 'flooded'));
    const summary = ({ times, failed }: { times: number[]; failed: string[] }) =>
      `median ${times.length ? fmt(median(times)) : '–'}, worst ${times.length ? fmt(Math.max(...times)) : '–'}` +
      (failed.length ? `, ${failed.length} of ${CREATES} failed (${[...new Set(failed)].join('; ')})` : '');
    console.log(`room creation idle:    ${summary(idle)}`);
    console.log(`room creation flooded: ${summary(flooded)}`);
    console.log(
      `flood: ${SOCKETS} sockets from ${ADDRESSES} addresses, ${Math.round(rate)} answers/s, ${(limitedShare * 100).toFixed(1)} % answered 429, ${Math.round(reconnectRate)} reconnects/s`,
    );
    if (flooded.times.length && idle.times.length)
      console.log(`ratio flooded/idle (median): ${(median(flooded.times) / median(idle.times)).toFixed(2)}×`);
  } finally {
    await server.stop();
  }
}
