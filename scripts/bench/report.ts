/**
 * Regenerates docs/benchmarks.md and docs/benchmarks-fanout.svg from one bench
 * result file. Every figure in them comes from the results; the only text kept
 * from the previous docs/benchmarks.md is the hand-written section between the
 * NOTES markers (what each optimisation bought, with the runs it cites).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BigRoomResult, StormScenarioResult } from './bigroom.js';
import { bigRoomSection, stormSection } from './report-bigroom.js';
import type { ManyRoomsResult } from './many-rooms.js';
import { FLOOD, type FanoutResult, ISOLATION_B } from './scenarios.js';
import { type Goal, kb, mb, type RunResult, type Spread, type Summary, spread } from './summary.js';

export interface BenchFile {
  date: string;
  mode: 'quick' | 'full';
  machine: { cores: number; cpuModel: string; node: string; loadAverage: number[] };
  settings: Record<string, string>;
  runs: RunResult[];
  summary: Summary;
  goals: Goal[];
  store: { status: 'measured' | 'pending' | 'failed'; writesPerSecond?: number; detail: string };
  durationS: number;
  resultFile: string;
  /** The big-room and storm scenarios: once per full run, or with --only. */
  bigRoom?: BigRoomResult;
  storm?: StormScenarioResult;
  /** A server with many idle rooms: once per full run, or with --only=rooms. */
  manyRooms?: ManyRoomsResult;
}

const NOTES_START = '<!-- NOTES:START (kept when the file is regenerated) -->';
const NOTES_END = '<!-- NOTES:END -->';
const COLORS: Record<string, string> = { chatserver: '#1f77b4', ws: '#d62728', socketio: '#2ca02c' };

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function cell(s: Spread | undefined, digits = 0, scale: (v: number | null) => number | null = (v) => v): string {
  if (!s || s.median === null) return '–';
  const med = n(scale(s.median), digits);
  if (s.min === s.max) return med;
  return `${med} (${n(scale(s.min), digits)}–${n(scale(s.max), digits)})`;
}

/** Achieved deliveries/s per offered rate, the median over runs, for one server. */
function curve(runs: RunResult[], server: string): Array<[number, number]> {
  const byOffered = new Map<number, number[]>();
  for (const run of runs) {
    const f = run.fanout.find((r: FanoutResult) => r.server === server);
    for (const s of f?.steps ?? []) byOffered.set(s.offered, [...(byOffered.get(s.offered) ?? []), s.achieved]);
  }
  return [...byOffered.entries()].sort((a, b) => a[0] - b[0]).map(([o, v]) => [o, spread(v).median!]);
}

export function chart(runs: RunResult[]): string {
  const W = 720;
  const H = 420;
  const L = 80;
  const R = 150;
  const T = 30;
  const B = 50;
  const curves = ['chatserver', 'ws', 'socketio'].map((s) => ({ server: s, points: curve(runs, s) }));
  const all = curves.flatMap((c) => c.points.flat());
  const lo = 10_000;
  const hi = Math.max(1_000_000, ...all) * 1.2;
  const x = (v: number) => L + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - L - R);
  const y = (v: number) => H - B - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - T - B);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="14">Fan-out: delivered vs offered deliveries/s (1,000 subscribers, log scales)</text>`,
  );
  for (let e = 4; 10 ** e <= hi; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v < lo || v > hi) continue;
      const label = v >= 1e6 ? `${v / 1e6}M` : `${v / 1e3}k`;
      parts.push(
        `<line x1="${x(v).toFixed(1)}" y1="${T}" x2="${x(v).toFixed(1)}" y2="${H - B}" stroke="#eee"/>`,
        `<line x1="${L}" y1="${y(v).toFixed(1)}" x2="${W - R}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
        `<text x="${x(v).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${label}</text>`,
        `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${label}</text>`,
      );
    }
  }
  parts.push(
    `<line x1="${x(lo)}" y1="${y(lo)}" x2="${x(hi)}" y2="${y(hi)}" stroke="#999" stroke-dasharray="4 4"/>`,
    `<text x="${W - R + 8}" y="${y(hi) + 4}" fill="#999">offered</text>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">offered deliveries/s</text>`,
    `<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">delivered deliveries/s</text>`,
  );
  curves.forEach((c, i) => {
    if (c.points.length === 0) return;
    const pts = c.points.map(([o, a]) => `${x(o).toFixed(1)},${y(Math.max(lo, a)).toFixed(1)}`);
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[c.server]}" stroke-width="2"/>`);
    for (const p of pts) {
      const [px, py] = p.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${COLORS[c.server]}"/>`);
    }
    parts.push(
      `<line x1="${W - R + 8}" y1="${T + 30 + i * 20}" x2="${W - R + 28}" y2="${T + 30 + i * 20}" stroke="${COLORS[c.server]}" stroke-width="2"/>`,
      `<text x="${W - R + 34}" y="${T + 34 + i * 20}">${c.server}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function markdown(r: BenchFile, notes: string): string {
  const s = r.summary;
  const runs = r.runs.length;
  const noise = runs > 1 ? `median of ${runs} runs, (min–max) where they differ` : 'one run (quick mode): no spread';
  const servers = [
    ['chatserver', 'chatserver (worker-thread room, per-pass coalescing)'],
    ['ws', 'bare `ws`, send() per client'],
    ['socketio', 'Socket.IO 4, io.emit'],
  ] as const;
  const flooded = (setup: string) => {
    const missing = s[`isolation.${setup}.floodedMissingPct`]?.median ?? 0;
    const p99 = cell(s[`isolation.${setup}.floodedP99`], 1);
    return missing > 0.1 ? `${p99} (${n(missing, 1)} % of B's sampled deliveries not there 1 s after the window)` : p99;
  };
  const lines: string[] = [];
  lines.push(
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (scripts/bench/). Do not edit by hand outside the NOTES section. -->',
    '',
    `Results of \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` on ${r.date} (${r.resultFile}), ${r.durationS} s.`,
    '',
    `**Machine:** ${r.machine.cores} cores, ${r.machine.cpuModel}, Node ${r.machine.node}; ` +
      `load average at start ${r.machine.loadAverage.map((v) => v.toFixed(2)).join(' / ')}.`,
    `**Noise:** ${noise}. The machine is shared with other work while these run, so single figures ` +
      'can move by a factor of two between runs; ratios from the same run are steadier than absolute figures.',
    '',
    '**Method.** Every server under test is its own process; the load generator is another (two for isolation): ' +
      'raw TCP WebSocket clients that count every delivery in the bytes as they arrive (newlines + 1 per message) and ' +
      'decode every frame only on sampler connections (20 of 1,000) for latency, measured on the load generator’s own ' +
      'monotonic clock from send to receipt. Publishers (4 connections) send 100-character texts at a paced rate; ' +
      'offered deliveries/s = messages/s × 1,000 subscribers. A step *keeps up* when every message reached every ' +
      'subscriber and p99 ≤ 50 ms; *sustained* is the highest offered rate that kept up, *saturation* the most ' +
      'deliveries/s counted during any step. Server CPU comes from /proc/<pid>/stat (all threads), memory from the ' +
      "server process's RSS.",
    '',
    `**chatserver settings for the bench** (through its documented variables): ${Object.entries(r.settings)
      .map(([k, v]) => `\`${k}=${v}\``)
      .join(', ')}: the per-user rate limit is lifted so four publishers can offer any rate, and the slow-reader ` +
      'cut-off is raised so a load generator that lags for a moment is measured as late rather than disconnected. ' +
      'Everything else is the default (guests join by name).',
    '',
    '## Goals',
    '',
    '| goal | measured (median) | target | met |',
    '|---|---|---|---|',
    ...r.goals.map(
      (g) =>
        `| ${g.goal} | ${n(g.value, 2)} | ${g.limit} | ${g.met === null ? 'not measured' : g.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '## Fan-out: one room, 1,000 subscribers',
    '',
    '![deliveries/s against offered rate](benchmarks-fanout.svg)',
    '',
    '| server | sustained (deliveries/s) | saturation (deliveries/s) | p50 / p99 / p999 at 50k (ms) | p50 / p99 / p999 at 100k (ms) | server CPU per delivery at 100k (µs) |',
    '|---|---|---|---|---|---|',
  );
  for (const [key, label] of servers) {
    const p = (at: string) =>
      `${cell(s[`fanout.${key}.p50@${at}`], 1)} / ${cell(s[`fanout.${key}.p99@${at}`], 1)} / ${cell(s[`fanout.${key}.p999@${at}`], 1)}`;
    lines.push(
      `| ${label} | ${cell(s[`fanout.${key}.sustained`])} | ${cell(s[`fanout.${key}.saturation`])} | ${p('50k')} | ${p('100k')} | ${cell(s[`fanout.${key}.cpuUs@100k`], 2)} |`,
    );
  }
  lines.push(
    '',
    `Ratios (chatserver ÷ other, same run): sustained ${atLeast(s, 'ws')}${cell(s['ratio.sustained.chatserver/ws'], 2)}× bare ws, ` +
      `${atLeast(s, 'socketio')}${cell(s['ratio.sustained.chatserver/socketio'], 2)}× Socket.IO; saturation ${cell(s['ratio.saturation.chatserver/ws'], 2)}× bare ws, ` +
      `${cell(s['ratio.saturation.chatserver/socketio'], 2)}× Socket.IO.`,
    '',
    'The ladder doubles the offered rate at each step, so *sustained* figures (and their ratios) are coarse: a ' +
      'server that kept up at 50k and not at 100k shows 50k; one that kept up at no step shows 0, and the ratio ' +
      'against it is taken against the lowest step offered, a lower bound (shown “≥”). Where the load generator’s cores approach 1.0 it, not ' +
      'the server, is the limit: a single-threaded process on the same two cores as the server.',
    '',
    'Every step of the first run:',
    '',
    '| server | offered/s | delivered/s | all delivered | kept up | p50 | p99 | p999 | CPU µs/delivery | cores busy: server / load generator |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const f of r.runs[0]?.fanout ?? []) {
    for (const st of f.steps) {
      lines.push(
        `| ${f.server} | ${n(st.offered)} | ${n(st.achieved)} | ${st.delivered >= st.expected ? 'yes' : `${n((100 * st.delivered) / st.expected, 1)} %`}${st.closed ? `, ${st.closed} cut off` : ''} | ${st.ok ? 'yes' : 'no'} | ${n(st.p50, 1)} | ${n(st.p99, 1)} | ${n(st.p999, 1)} | ${n(st.cpuUsPerDelivery, 2)} | ${n(st.serverCores, 2)} / ${n(st.loadgenCores, 2)} |`,
      );
    }
  }
  lines.push(
    '',
    `## Isolation: room B (${ISOLATION_B.subscribers} subscribers, ${ISOLATION_B.rate} messages/s) beside a flooded room A`,
    '',
    `Room A: ${FLOOD.subscribers} subscribers, ${FLOOD.publishers} publishers offering ${n(FLOOD.rate)} messages/s ` +
      `(${n(FLOOD.rate * FLOOD.subscribers)} deliveries/s) from a second load generator process; every room B ` +
      'subscriber decodes every frame for latency.',
    '',
    '| setup | B p99 idle (ms) | B p99, A flooded (ms) | ratio | A delivered/s while flooded |',
    '|---|---|---|---|---|',
    `| chatserver: each room its own worker thread | ${cell(s['isolation.chatserver.idleP99'], 1)} | ${flooded('chatserver')} | ${cell(s['isolation.chatserver.ratio'], 2)} | ${cell(s['isolation.chatserver.floodAchieved'])} |`,
    `| bare ws: both rooms on one event loop | ${cell(s['isolation.ws-one-loop.idleP99'], 1)} | ${flooded('ws-one-loop')} | ${cell(s['isolation.ws-one-loop.ratio'], 2)} | ${cell(s['isolation.ws-one-loop.floodAchieved'])} |`,
    '',
    '## Rooms and memory',
    '',
    '20 rooms created one after another (150 ms apart) through `POST /api/v1/room/:name`; create-to-ready is the ' +
      'time until the 201 reply, by which the room’s port answers.',
    '',
    '| measure | value |',
    '|---|---|',
    `| create-to-ready, warm pool (ROOM_WARM_WORKERS=2): median / max (ms) | ${cell(s['rooms.warm.median'], 1)} / ${cell(s['rooms.warm.max'], 1)} |`,
    `| create-to-ready, cold (ROOM_WARM_WORKERS=0): median / max (ms) | ${cell(s['rooms.cold.median'], 1)} / ${cell(s['rooms.cold.max'], 1)} |`,
    `| memory per idle room (MB, RSS growth over 20 rooms, cold) | ${cell(s['rooms.bytesPerIdleRoom'], 1, mb)} |`,
    ...(r.manyRooms
      ? [
          `| server RSS with ${n(r.manyRooms.rooms)} idle rooms, created one after another on a cold pool (MB) | ` +
            `${n(r.manyRooms.rssIdle / 1e6)} (${n(r.manyRooms.rssEmpty / 1e6)} with none; ` +
            `${n(r.manyRooms.bytesPerRoom / 1e6, 1)} per room) |`,
        ]
      : []),
    `| memory per idle connection, chatserver (KB, slope of RSS over 1,000 to 3,000 (quick) or 4,000 joined guests) | ${cell(s['memory.chatserver.bytesPerConnection'], 1, kb)} |`,
    `| memory per idle connection, bare ws (KB) | ${cell(s['memory.ws.bytesPerConnection'], 1, kb)} |`,
    `| memory per idle connection, Socket.IO (KB) | ${cell(s['memory.socketio.bytesPerConnection'], 1, kb)} |`,
    '',
    ...(r.bigRoom ? bigRoomSection(r.bigRoom) : []),
    ...(r.storm ? stormSection(r.storm) : []),
    '## Store',
    '',
    r.store.status === 'measured'
      ? `Transcript writes/s, embedded store (SQLite through the TranscriptWriter, from \`npm run bench:store\`): ` +
          `${n(r.store.writesPerSecond ?? null)} (${r.store.detail}).`
      : `Transcript writes/s, embedded store: **${r.store.status}**: ${r.store.detail}`,
    '',
    '## What each optimisation bought',
    '',
    NOTES_START,
    notes.trim(),
    NOTES_END,
    '',
  );
  return lines.join('\n');
}

/** "≥ " where the sustained ratio against `other` is a lower bound in the median run (summary.ts). */
function atLeast(s: BenchFile['summary'], other: string): string {
  return (s[`ratio.sustained.lowerBound.chatserver/${other}`]?.median ?? 0) >= 0.5 ? '≥ ' : '';
}

export function writeReport(root: string, result: BenchFile): void {
  const docPath = join(root, 'docs/benchmarks.md');
  let notes = '_No notes yet._';
  if (existsSync(docPath)) {
    const old = readFileSync(docPath, 'utf8');
    const a = old.indexOf(NOTES_START);
    const b = old.indexOf(NOTES_END);
    if (a >= 0 && b > a) notes = old.slice(a + NOTES_START.length, b);
  }
  writeFileSync(join(root, 'docs/benchmarks-fanout.svg'), chart(result.runs));
  writeFileSync(docPath, markdown(result, notes));
}
