/**
 * config/grafana/chatserver.json and config/prometheus/alerts.yml against a live
 * server: every metric either uses is one GET /api/v1/metrics exports, and
 * promtool (Debian's `prometheus` package) accepts the rules.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parsePrometheusText } from '../helpers/prom-text.js';
import { startTestServer } from '../helpers/server.js';

const file = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const DASHBOARD = file('config/grafana/chatserver.json');
const RULES = file('config/prometheus/alerts.yml');

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
const rules = parse(readFileSync(RULES, 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};

const expressions: Array<{ where: string; expr: string }> = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
];

/** The metric names an expression reads (ours and prom-client's default ones). */
const metricsIn = (expr: string) => [...expr.matchAll(/\b(?:chatserver|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]);

/** Where promtool is, or null. */
async function promtool(): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('sh', ['-c', 'command -v promtool']);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

describe('the Grafana dashboard and the Prometheus rules', async () => {
  const t = await startTestServer();
  await t.createRoom('dashroom');
  const res = await t.adminFetch('/metrics');
  assert.equal(res.status, 200);
  const exported = parsePrometheusText(await res.text());

  const known = (name: string): boolean => {
    if (exported.types.has(name)) return true;
    // A histogram's series: name_bucket, name_sum, name_count.
    const family = name.replace(/_(bucket|sum|count)$/, '');
    return family !== name && exported.types.get(family) === 'histogram';
  };

  it('uses metrics in every panel and rule', () => {
    assert.ok(dashboard.panels.length > 5);
    assert.ok(rules.groups.flatMap((g) => g.rules).length >= 5);
    for (const { where, expr } of expressions) assert.ok(metricsIn(expr).length > 0, `${where}: ${expr}`);
  });

  it('uses only metrics the server exports', () => {
    for (const { where, expr } of expressions)
      for (const name of metricsIn(expr)) assert.ok(known(name), `${where} uses ${name}, which /api/v1/metrics lacks`);
  });

  it('alerts on a store down, worker crashes, event-loop delay, an open balancer circuit and transcript drops', () => {
    const used = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => metricsIn(r.expr))));
    for (const name of [
      'chatserver_store_up',
      'chatserver_room_worker_crashes_total',
      'chatserver_room_event_loop_delay_seconds',
      'chatserver_balancer_calls_total',
      'chatserver_store_records_dropped_total',
    ])
      assert.ok(used.has(name), name);
  });

  const tool = await promtool();
  const skip =
    tool === null ? 'needs promtool; install with: apt-get install -y prometheus (.ci/run does this)' : false;
  it('passes promtool check rules', { skip }, async () => {
    const { stdout } = await promisify(execFile)(tool!, ['check', 'rules', RULES], { timeout: 30_000 });
    assert.match(stdout, /SUCCESS/);
  });
});
