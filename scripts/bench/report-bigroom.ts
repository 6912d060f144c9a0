/** The big-room and reconnect-storm sections of docs/benchmarks.md, from one run's results. */
import { variables } from '../../src/config-variables.js';
import { type BigRoomResult, STORM_CLIENTS, type StormScenarioResult } from './bigroom.js';

/** The join admission's defaults, as the server reads them. */
const JOIN_DEFAULTS = { rate: Number(variables.JOIN_RATE_PER_S[1]), burst: Number(variables.JOIN_BURST[1]) };

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function bigRoomSection(r: BigRoomResult): string[] {
  const lines = [
    '## Big room: thousands of viewers in one room',
    '',
    `One room, its connections joined as guests from several load generator processes (5,000 each, each from its own ` +
      `127.0.0.x address); ${r.rate} messages/s for 10 s from one more, every delivery counted, latency sampled by ` +
      `decoding connections (10 more per load generator at each size); pings every 5 s (\`WS_PING_INTERVAL_MS=5000\`) so heartbeats fall inside ` +
      'the step. RSS is the server process with the connections joined and idle, before the step. ' +
      '`npm run bench -- --only=bigroom`.',
    '',
    '| joined connections | deliveries/s offered | delivered | p50 (ms) | p99 (ms) | p999 (ms) | server cores busy | server RSS (MB) | RSS per connection over the empty room (KB) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.sizes) {
    const all = s.delivered >= s.expected ? 'all' : `${n((100 * s.delivered) / s.expected, 2)} %`;
    lines.push(
      `| ${n(s.connections)} | ${n(s.connections * r.rate)} | ${all}${s.closed ? `, ${s.closed} closed` : ''} | ` +
        `${n(s.p50, 1)} | ${n(s.p99, 1)} | ${n(s.p999, 1)} | ${n(s.serverCores, 2)} | ${n(s.rssBytes / 1e6)} | ` +
        `${n((s.rssBytes - r.baseRssBytes) / s.connections / 1024, 1)} |`,
    );
  }
  lines.push(
    '',
    `Memory per idle joined connection at the margin (slope of RSS over the sizes): ${n(r.bytesPerConnection / 1024, 1)} KB.`,
    '',
  );
  return lines;
}

/** The join admission the storm ran with: the defaults, or what the bench was run with. */
function admission(settings: Record<string, string>): string {
  const rate = settings.JOIN_RATE_PER_S;
  const burst = settings.JOIN_BURST;
  if (rate === undefined && burst === undefined)
    return `at its defaults (\`JOIN_BURST\` ${n(JOIN_DEFAULTS.burst)}, \`JOIN_RATE_PER_S\` ${n(JOIN_DEFAULTS.rate)})`;
  return `at \`JOIN_BURST\` ${n(Number(burst ?? JOIN_DEFAULTS.burst))}, \`JOIN_RATE_PER_S\` ${n(Number(rate ?? JOIN_DEFAULTS.rate))}`;
}

export function stormSection(r: StormScenarioResult): string[] {
  return [
    '## Reconnect storm: every viewer back at once',
    '',
    `${n(r.clients)} joined clients (${n(STORM_CLIENTS)} in the full run) from three load generator processes drop ` +
      'their connections at the same moment and come back as the SDK does, with its reconnect schedule ' +
      '(src/client/reconnect.ts): the first attempt at a random moment of the rejoin window the room named last ' +
      '(`rejoinWindowMs` in the welcome or presence: 1,000 ms × members ÷ `JOIN_RATE_PER_S`), a 503 answered by ' +
      'waiting its `Retry-After` plus up to half again, any other failure by the exponential backoff, every join ' +
      'with `since` the last id they saw and the guest token of their last welcome. A client counts as back ' +
      'when its welcome says `recovered:true` and its history holds every id after `since`, in order. A probe ' +
      `member of the room sends ${10} messages/s to itself from half a second before the drop, for 4 s. Join ` +
      `admission ${admission(r.settings)}. \`npm run bench -- --only=storm\`.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| back with a complete recovery | ${n(r.recovered)} of ${n(r.clients)} |`,
    `| 50 % / 99 % / all back (ms after the drop) | ${n(r.p50Ms)} / ${n(r.p99Ms)} / ${n(r.allMs)} |`,
    `| upgrades answered 503 + Retry-After | ${n(r.refused503)} |`,
    `| other failed attempts (reset, timeout) | ${n(r.otherFailures)} |`,
    `| wrong or partial histories | ${n(r.wrongHistory)} |`,
    `| joins admitted per second (drop to last admitted) | ${n(r.joinRate)} |`,
    `| probe round trip p50 / p99 / max (ms) | ${n(r.probe.p50, 1)} / ${n(r.probe.p99, 1)} / ${n(r.probe.max, 1)} |`,
    `| cores busy until all were back: server / the storm's load generators | ${n(r.serverCores, 2)} / ${n(r.loadgenCores, 2)} |`,
    '',
  ];
}
