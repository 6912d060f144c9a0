/** Reduces the runs of one bench invocation to headline figures (median and min–max) and checks the goals. */
import type { ConnectionMemoryResult, FanoutResult, IsolationResult, RoomsResult, ServerKind } from './scenarios.js';

export interface RunResult {
  fanout: FanoutResult[];
  isolation: IsolationResult[];
  rooms: RoomsResult[];
  connections: ConnectionMemoryResult[];
}

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
}

export function spread(values: Array<number | null | undefined>): Spread {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null };
  const mid = Math.floor(v.length / 2);
  return { median: v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2, min: v[0]!, max: v[v.length - 1]! };
}

export type Summary = Record<string, Spread>;

const SERVERS: ServerKind[] = ['chatserver', 'ws', 'socketio'];

function stepAt(result: FanoutResult | undefined, offered: number) {
  return result?.steps.find((s) => s.offered === offered);
}

export function summarise(runs: RunResult[]): Summary {
  const s: Summary = {};
  const each = (key: string, pick: (run: RunResult) => number | null | undefined) => {
    s[key] = spread(runs.map(pick));
  };
  for (const server of SERVERS) {
    const f = (run: RunResult) => run.fanout.find((r) => r.server === server);
    each(`fanout.${server}.saturation`, (r) => f(r)?.saturation);
    each(`fanout.${server}.sustained`, (r) => f(r)?.sustained);
    for (const offered of [50_000, 100_000]) {
      const k = `${offered / 1000}k`;
      each(`fanout.${server}.p50@${k}`, (r) => stepAt(f(r), offered)?.p50);
      each(`fanout.${server}.p99@${k}`, (r) => stepAt(f(r), offered)?.p99);
      each(`fanout.${server}.p999@${k}`, (r) => stepAt(f(r), offered)?.p999);
      each(`fanout.${server}.cpuUs@${k}`, (r) => stepAt(f(r), offered)?.cpuUsPerDelivery);
    }
    each(
      `memory.${server}.bytesPerConnection`,
      (r) => r.connections.find((c) => c.server === server)?.bytesPerConnection,
    );
  }
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : null);
  for (const [other, name] of [
    ['ws', 'ws'],
    ['socketio', 'socketio'],
  ] as const) {
    const theirs = (run: RunResult) => run.fanout.find((r) => r.server === other);
    /** Kept up at no step: its sustained rate is below the lowest step offered, which bounds the ratio from below. */
    const nowhere = (run: RunResult) => theirs(run)?.sustained === 0 && (theirs(run)?.steps.length ?? 0) > 0;
    const pick = (run: RunResult, field: 'sustained' | 'saturation') =>
      ratio(
        run.fanout.find((r) => r.server === 'chatserver')?.[field],
        field === 'sustained' && nowhere(run) ? theirs(run)!.steps[0]!.offered : theirs(run)?.[field],
      );
    each(`ratio.sustained.chatserver/${name}`, (r) => pick(r, 'sustained'));
    // 1 in a run where the ratio is only a lower bound (the median of these says whether the median is one).
    each(`ratio.sustained.lowerBound.chatserver/${name}`, (r) => (theirs(r) === undefined ? null : nowhere(r) ? 1 : 0));
    each(`ratio.saturation.chatserver/${name}`, (r) => pick(r, 'saturation'));
  }
  for (const [i, name] of ['chatserver', 'ws-one-loop'].entries()) {
    each(`isolation.${name}.idleP99`, (r) => r.isolation[i]?.idle.p99);
    each(`isolation.${name}.floodedP99`, (r) => r.isolation[i]?.flooded.p99);
    each(`isolation.${name}.ratio`, (r) => r.isolation[i]?.ratio);
    each(`isolation.${name}.floodAchieved`, (r) => r.isolation[i]?.floodAchieved);
    each(`isolation.${name}.floodedMissingPct`, (r) => {
      const f = r.isolation[i]?.flooded;
      return f ? (100 * f.missingSamples) / Math.max(1, f.samples + f.missingSamples) : null;
    });
  }
  for (const warm of ['warm', 'cold']) {
    const pick = (r: RunResult) => r.rooms.find((x) => (warm === 'cold') === (x.warmWorkers === 0));
    each(`rooms.${warm}.median`, (r) => pick(r)?.median);
    each(`rooms.${warm}.max`, (r) => pick(r)?.max);
  }
  each('rooms.bytesPerIdleRoom', (r) => r.rooms.find((x) => x.warmWorkers === 0)?.bytesPerIdleRoom);
  return s;
}

export interface Goal {
  goal: string;
  value: number | null;
  limit: string;
  met: boolean | null;
}

export function goals(s: Summary): Goal[] {
  const m = (key: string) => s[key]?.median ?? null;
  const check = (goal: string, value: number | null, limit: string, ok: (v: number) => boolean): Goal => ({
    goal,
    value,
    limit,
    met: value === null ? null : ok(value),
  });
  return [
    check('sustained fan-out, chatserver ÷ bare ws', m('ratio.sustained.chatserver/ws'), '≥ 6×', (v) => v >= 6),
    check(
      (s['ratio.sustained.lowerBound.chatserver/socketio']?.median ?? 0) >= 0.5
        ? 'sustained fan-out, chatserver ÷ Socket.IO (at least: Socket.IO kept up at no step, so ÷ its lowest step)'
        : 'sustained fan-out, chatserver ÷ Socket.IO',
      m('ratio.sustained.chatserver/socketio'),
      '≥ 10×',
      (v) => v >= 10,
    ),
    check('chatserver p99 at 50,000 deliveries/s (ms)', m('fanout.chatserver.p99@50k'), '≤ 15 ms', (v) => v <= 15),
    check('room B p99 flooded ÷ idle (worker per room)', m('isolation.chatserver.ratio'), '≤ 2×', (v) => v <= 2),
    check('memory per idle connection (KB)', kb(m('memory.chatserver.bytesPerConnection')), '≤ 6 KB', (v) => v <= 6),
    check('memory per idle room (MB)', mb(m('rooms.bytesPerIdleRoom')), '≤ 10 MB', (v) => v <= 10),
    check('create-to-ready median, warm pool (ms)', m('rooms.warm.median'), '≤ 20 ms', (v) => v <= 20),
  ];
}

export const kb = (bytes: number | null) => (bytes === null ? null : bytes / 1024);
export const mb = (bytes: number | null) => (bytes === null ? null : bytes / 1e6);
