/**
 * The server's state on the overview: accepting or draining, rooms and slots,
 * connections, the store, each balancer with its circuit, the cluster engine
 * when there is one (its readiness check), and sparklines of the last 15 minutes
 * kept from the page's own polls.
 */
import { byId, h } from '../web/dom.js';
import { count, duration, milliseconds, percent } from './format.js';
import { Series } from './history.js';
import { coveredText, sparkline } from './sparkline.js';
import type { Load, Readiness, RoomStats } from './types.js';

const trends = {
  connections: { label: 'Connections', series: new Series(), format: count },
  rooms: { label: 'Rooms', series: new Series(), format: count },
  memory: { label: 'Memory in use', series: new Series(), format: percent },
  loop: { label: 'Worst event-loop delay (p99)', series: new Series(), format: milliseconds },
};

/** One poll's figures into the sparklines' history. */
export function recordTrends(at: number, load: Load, rooms: readonly RoomStats[]): void {
  trends.connections.series.push(at, load.connections);
  trends.rooms.series.push(at, rooms.length);
  trends.memory.series.push(at, load.percentage);
  trends.loop.series.push(
    at,
    rooms.reduce((m, r) => Math.max(m, r.eventLoopDelayMs.p99), 0),
  );
}

function row(label: string, testid: string, ...value: Array<Node | string>): HTMLElement[] {
  return [h('dt', {}, label), h('dd', { 'data-testid': testid }, ...value)];
}

function badge(text: string, tone: 'ok' | 'warn' | 'bad', attributes: Record<string, string> = {}): HTMLElement {
  return h('span', { class: `badge ${tone}`, ...attributes }, text);
}

export function renderState(load: Load, ready: Readiness | null, roomCount: number): void {
  const state = load.acceptingConnections ? 'accepting' : 'draining';
  const store = load.store;
  const storeTone =
    store.state === 'up' && store.writable !== false ? 'ok' : store.state === 'starting' ? 'warn' : 'bad';
  const cluster = ready?.checks.find((c) => c.name === 'cluster');
  const failing = ready?.checks.filter((c) => !c.ok) ?? [];

  const balancers =
    load.loadBalancers.length === 0
      ? ['none configured']
      : [
          h(
            'ul',
            { class: 'plain', 'data-testid': 'balancers' },
            ...load.loadBalancers.map((b) =>
              h(
                'li',
                { 'data-testid': 'balancer', 'data-state': b.state },
                h('span', { class: 'url' }, b.url),
                ' ',
                badge(`circuit ${b.state}`, b.state === 'closed' ? 'ok' : b.state === 'open' ? 'bad' : 'warn'),
                ' ',
                b.registered ? 'registered' : 'not registered',
                b.lastError === null ? '' : ` — ${b.lastError}`,
              ),
            ),
          ),
        ];

  byId('server-state').replaceChildren(
    ...row(
      'State',
      'server-state-value',
      badge(
        state === 'accepting' ? 'Accepting rooms' : 'Draining: no new rooms',
        state === 'accepting' ? 'ok' : 'warn',
        {
          'data-state': state,
        },
      ),
    ),
    ...row(
      'Ready',
      'server-ready',
      ready === null
        ? 'unknown'
        : ready.ok
          ? badge('ready', 'ok')
          : badge(
              `not ready: ${failing.map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)).join('; ')}`,
              'bad',
            ),
    ),
    ...row(
      'Rooms',
      'server-rooms',
      `${count(roomCount)} open of ${count(load.cpus)} slots (${count(load.capacity)} free)`,
    ),
    ...row('Connections', 'server-connections', count(load.connections)),
    ...row(
      'Store',
      'server-store',
      badge(`${store.kind} ${store.state}${store.writable === false ? ', not writable' : ''}`, storeTone),
      store.queued === undefined ? '' : ` ${count(store.queued)} queued, ${count(store.dropped ?? 0)} dropped`,
      store.lastError ? ` — ${store.lastError}` : '',
    ),
    ...row('Balancers', 'server-balancers', ...balancers),
    ...row(
      'Cluster',
      'server-cluster',
      cluster === undefined
        ? 'none (a single server)'
        : badge(
            cluster.ok ? 'Redis answering' : `failing: ${cluster.detail ?? 'no answer'}`,
            cluster.ok ? 'ok' : 'bad',
          ),
    ),
    ...row('Memory', 'server-memory', `${percent(load.percentage)} in use`),
    ...row('Load', 'server-load', load.loadAvg.map((n) => n.toFixed(2)).join(' · ')),
    ...row('Up', 'server-uptime', duration(load.upTime)),
  );

  byId('trends').replaceChildren(
    ...Object.entries(trends).map(([name, t]) =>
      h(
        'figure',
        { class: 'trend', 'data-testid': `trend-${name}` },
        h('figcaption', {}, t.label, ' ', h('strong', {}, t.format(t.series.latest() ?? 0))),
        sparkline(t.series, t.label, t.format),
        h('span', { class: 'covered', 'aria-hidden': 'true' }, coveredText(t.series)),
      ),
    ),
  );
}
