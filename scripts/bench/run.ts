/**
 * `npm run bench` (three runs, the lead's numbers) and `npm run bench -- --quick`
 * (one shorter run, under three minutes): fan-out against bare ws and Socket.IO,
 * isolation, rooms, connection memory and the store; writes
 * bench-results/<date>.json and regenerates docs/benchmarks.md.
 *
 * Options: --quick (docs/ is left as it is unless --docs is given too: it holds
 * the full run's results); --only=fanout,isolation,rooms,memory,store,bigroom,storm
 * (a partial run, printed but not written to docs/); --servers=chatserver,ws (fan-out
 * servers); --cpu-prof (chatserver under --cpu-prof, profiles in bench-results/profiles/).
 * The big-room and storm scenarios (bigroom.ts) run once per full run, never in
 * --quick unless named in --only; --sizes=5000,10000 and --storm-clients=2000 shrink
 * them for a trial.
 * --only=cluster (one room on two servers sharing a Redis against one server:
 * scripts/bench/cluster.ts; needs redis-server; never part of the default set).
 * --only=http (the HTTP fallback's fan-out and memory against WebSocket members, run
 * only when asked for).
 * --report=bench-results/<file>.json writes docs/benchmarks.md again from a full run's result
 * file (summary and goals recomputed from its runs), measuring nothing.
 * Loopback only; every scenario is bounded in time and count.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BIG_ROOM_SIZES, bigRoom, STORM_CLIENTS, storm } from './bigroom.js';
import { clusterBench } from './cluster.js';
import { MANY_ROOMS, manyRooms } from './many-rooms.js';
import { type BenchFile, writeReport } from './report.js';
import { bigRoomSection, stormSection } from './report-bigroom.js';
import { connectionMemory, fanout, isolation, rooms, type ServerKind, type Timing } from './scenarios.js';
import { CHATSERVER_BENCH_ENV } from './servers.js';
import { type HttpFallbackResult, httpFallback } from './http.js';
import { goals, type RunResult, summarise } from './summary.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const quick = flag('quick');
const only = option('only')?.split(',');
const wants = (part: string) => !only || only.includes(part);
/** Minutes long each: in a full run (once, not per run), or when --only names them. */
const wantsBig = (part: 'bigroom' | 'storm') => (only ? only.includes(part) : !quick);
const bigRoomSizes = option('sizes')?.split(',').map(Number) ?? BIG_ROOM_SIZES;
const stormClients = Number(option('storm-clients') ?? STORM_CLIENTS);
const manyRoomCount = Number(option('many-rooms') ?? MANY_ROOMS);
const servers = (option('servers')?.split(',') ?? ['chatserver', 'ws', 'socketio']) as ServerKind[];
const runCount = Number(option('runs') ?? (quick ? 1 : 3));
const timing: Timing = quick
  ? { stepMs: 1_500, graceMs: 1_000, isolationMs: 3_000 }
  : { stepMs: 4_000, graceMs: 1_500, isolationMs: 6_000 };
const resultsDir = join(root, 'bench-results');
const nodeArgs = flag('cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'profiles')}`] : [];

// --report=bench-results/<file>.json: the docs from a full run's result file, its summary and goals computed
// again from its runs (after a change to how they are summarised); nothing is measured.
const reportFrom = option('report');
if (reportFrom !== undefined) {
  const saved = JSON.parse(readFileSync(join(root, reportFrom), 'utf8')) as BenchFile;
  const summary = summarise(saved.runs);
  writeReport(root, { ...saved, summary, goals: goals(summary) });
  console.log(`docs/benchmarks.md written from ${reportFrom}`);
  process.exit(0);
}

// The cluster comparison needs Redis and keeps its own result file: run only when named.
if (only?.includes('cluster')) {
  const result = await clusterBench(timing);
  const file = `bench-results/${new Date().toISOString().replace(/[:.]/g, '-')}-cluster${quick ? '-quick' : ''}.json`;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(root, file),
    JSON.stringify(
      { date: new Date().toISOString(), quick, cores: cpus().length, loadAverage: loadavg(), result },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${file}`);
  if (only.length === 1) process.exit(0);
}

function store(): BenchFile['store'] {
  // The embedded store brings its own write benchmark (`npm run bench:store`); this
  // hook runs it when the script exists and reads its "<store> <path>: N messages/s"
  // lines. The headline is the embedded (SQLite) store through the TranscriptWriter.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  if (!pkg.scripts?.['bench:store'])
    return { status: 'pending', detail: 'the embedded store and its `npm run bench:store` are not in this build yet.' };
  try {
    const out = execFileSync('npm', ['run', '--silent', 'bench:store'], {
      cwd: root,
      timeout: 180_000,
      env: { ...process.env, MONGODB_URI: '', BENCH_MESSAGES: quick ? '20000' : '100000' },
    }).toString();
    const lines = [...out.matchAll(/^(\S+)\s+(.+?): ([\d,]+) messages\/s/gm)].map((m) => ({
      store: m[1]!,
      path: m[2]!,
      perSecond: Number(m[3]!.replace(/,/g, '')),
    }));
    const sqlite = lines.filter((l) => l.store === 'SQLite');
    const headline = sqlite.find((l) => l.path.startsWith('TranscriptWriter')) ?? sqlite[0];
    if (!headline) return { status: 'failed', detail: `no "messages/s" line in: ${out.slice(0, 200)}` };
    return {
      status: 'measured',
      writesPerSecond: headline.perSecond,
      detail: sqlite.map((l) => `${l.path}: ${l.perSecond.toLocaleString('en-US')}/s`).join('; '),
    };
  } catch (error) {
    return { status: 'failed', detail: `npm run bench:store failed: ${String(error).slice(0, 200)}` };
  }
}

async function oneRun(index: number): Promise<RunResult> {
  const result: RunResult = { fanout: [], isolation: [], rooms: [], connections: [] };
  // The order of servers rotates between runs, so none always runs on a warmer (or busier) machine.
  const order = servers.map((_, i) => servers[(i + index) % servers.length]!);
  if (wants('fanout')) {
    console.log(`run ${index + 1}: fan-out`);
    for (const kind of order) result.fanout.push(await fanout(kind, timing, kind === 'chatserver' ? nodeArgs : []));
  }
  if (wants('isolation')) {
    console.log(`run ${index + 1}: isolation`);
    result.isolation.push(await isolation('chatserver', timing));
    result.isolation.push(await isolation('ws', timing));
  }
  if (wants('rooms')) {
    console.log(`run ${index + 1}: rooms`);
    result.rooms.push(await rooms(2));
    result.rooms.push(await rooms(0));
  }
  if (wants('memory')) {
    console.log(`run ${index + 1}: idle connections`);
    for (const kind of order) result.connections.push(await connectionMemory(kind, quick ? 3 : 4));
  }
  if (only?.includes('http')) {
    console.log(`run ${index + 1}: HTTP fallback against WebSocket members`);
    httpRuns.push(await httpFallback(timing));
  }
  return result;
}

const started = Date.now();
const machine = {
  cores: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  node: process.version,
  loadAverage: loadavg(),
};
console.log(
  `chatserver bench (${quick ? 'quick' : 'full'}, ${runCount} run(s)) on ${machine.cores} × ${machine.cpuModel}, Node ${machine.node}`,
);
const runs: RunResult[] = [];
const httpRuns: HttpFallbackResult[] = [];
for (let i = 0; i < runCount; i++) runs.push(await oneRun(i));
/** Linux keeps a closed connection's port in TIME_WAIT this long (60 s), and a second more. */
const TIME_WAIT_MS = 61_000;
let bigRoomResult: BenchFile['bigRoom'];
/** When the big room's connections closed (0: it did not run). */
let bigRoomEndedAt = 0;
if (wantsBig('bigroom')) {
  console.log(`big room: ${bigRoomSizes.join(', ')} joined connections`);
  bigRoomResult = await bigRoom(bigRoomSizes, nodeArgs);
  bigRoomEndedAt = Date.now();
}
// A server with many idle rooms: once per full run, and with --only=rooms (not in a plain --quick).
let manyRoomsResult: BenchFile['manyRooms'];
if (wants('rooms') && (!quick || only !== undefined)) {
  console.log(`many rooms: ${manyRoomCount} idle rooms on one server`);
  manyRoomsResult = await manyRooms(manyRoomCount);
}
let stormResult: BenchFile['storm'];
if (wantsBig('storm')) {
  // The big room's ~19,000 ports were bound explicitly, and for TIME_WAIT's 60 s the kernel gives none of them
  // to a connect that lets it pick (the storm's): with them held, 10,000 storm clients would run out of ports.
  const timeWaitLeft = bigRoomEndedAt === 0 ? 0 : TIME_WAIT_MS - (Date.now() - bigRoomEndedAt);
  if (timeWaitLeft > 0) {
    console.log(`reconnect storm: waiting ${Math.ceil(timeWaitLeft / 1000)} s for the big room's ports to be free`);
    await sleep(timeWaitLeft);
  }
  console.log(`reconnect storm: ${stormClients} clients`);
  stormResult = await storm(stormClients, nodeArgs);
}
const storeResult = wants('store') ? store() : { status: 'pending' as const, detail: 'not run (--only)' };
const summary = summarise(runs);
const date = new Date().toISOString().replace(/[:.]/g, '-');
const resultFile = `bench-results/${date}${quick ? '-quick' : ''}${only ? '-partial' : ''}.json`;
const file: BenchFile = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine,
  settings: CHATSERVER_BENCH_ENV,
  runs,
  summary,
  goals: goals(summary),
  store: storeResult,
  ...(bigRoomResult === undefined ? {} : { bigRoom: bigRoomResult }),
  ...(stormResult === undefined ? {} : { storm: stormResult }),
  ...(manyRoomsResult === undefined ? {} : { manyRooms: manyRoomsResult }),
  durationS: Math.round((Date.now() - started) / 1000),
  resultFile,
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(root, resultFile),
  JSON.stringify(httpRuns.length > 0 ? { ...file, http: httpRuns } : file, null, 2) + '\n',
);
const writeDocs = !only && !flag('cpu-prof') && (!quick || flag('docs'));
if (writeDocs) writeReport(root, file);
// A partial run of the big scenarios leaves docs/ alone: their sections go beside the results instead.
const sections = [
  ...(bigRoomResult ? bigRoomSection(bigRoomResult) : []),
  ...(stormResult ? stormSection(stormResult) : []),
];
if (!writeDocs && sections.length > 0)
  writeFileSync(join(root, resultFile.replace(/\.json$/, '.md')), sections.join('\n'));

const r = (key: string) => summary[key]?.median;
const x = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v.toFixed(2)}×`);
console.log('');
console.log(
  `sustained fan-out: chatserver/ws ${x(r('ratio.sustained.chatserver/ws'))}, chatserver/Socket.IO ${x(r('ratio.sustained.chatserver/socketio'))}`,
);
console.log(
  `saturation:        chatserver/ws ${x(r('ratio.saturation.chatserver/ws'))}, chatserver/Socket.IO ${x(r('ratio.saturation.chatserver/socketio'))}`,
);
for (const g of file.goals)
  console.log(
    `goal ${g.met === null ? '?' : g.met ? '✓' : '✗'} ${g.goal}: ${g.value === null ? '–' : g.value.toFixed(2)} (${g.limit})`,
  );
console.log(`wrote ${resultFile}${writeDocs ? ' and docs/benchmarks.md' : ''} in ${file.durationS} s`);
