import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { loadLbConfig } from '../../src/loadbalancer/config.js';
import { LoadBalancerService } from '../../src/loadbalancer/service.js';
import { LbClient, type BalancerStatus } from '../../src/master/lb-client.js';
import type { RoomsEvents } from '../../src/master/rooms.js';
import { startChatServer } from '../../src/server.js';
import { capturingLogger } from '../helpers/logs.js';
import { downUrl, failingUrl, hangingUrl } from '../helpers/fake-services.js';
import { LB_KEY, startTestBalancer } from '../helpers/load-balancer.js';
import { eventually } from '../helpers/wait.js';
import { ADMIN_KEY, KEY, roomPortRange, startTestServer, testLogger, type TestServer } from '../helpers/server.js';
import { freshDataDir } from '../helpers/data-dir.js';

type Load = { data: { loadBalancers: BalancerStatus[] } };

async function balancersOf(t: TestServer): Promise<BalancerStatus[]> {
  return ((await (await t.adminFetch('/load')).json()) as Load).data.loadBalancers;
}

describe('load-balancer registration', async () => {
  const lb = await startTestBalancer();
  const t = await startTestServer({
    MAX_ROOMS: '5',
    LOADBALANCERS: lb.url,
    LOADBALANCER_KEY: LB_KEY,
    LB_HEARTBEAT_S: '3600',
  });
  const name = t.server.host;

  it('registers at start with its slots, rooms in use and version', async () => {
    const entry = await eventually('registration', async () => (await lb.info())[name]);
    assert.equal(entry.cpus, 5);
    assert.equal(entry.rooms, 0);
    assert.equal(entry.version, t.server.version);
  });

  it('sends a heartbeat as soon as the room count changes, not at the next period', async () => {
    await t.createRoom('counted');
    // The period is an hour: only the heartbeat sent on the change can carry this.
    const entry = await eventually('rooms=1', async () => ((await lb.info())[name]?.rooms === 1 ? true : undefined));
    assert.ok(entry);
    assert.equal((await t.adminFetch('/room/counted/shutdown', { method: 'DELETE' })).status, 202);
    await eventually('rooms=0', async () => ((await lb.info())[name]?.rooms === 0 ? true : undefined));
  });

  it('shows each balancer in the admin /load with its state and last success', async () => {
    const [status] = await balancersOf(t);
    assert.ok(status);
    assert.equal(status.url, lb.url);
    assert.equal(status.state, 'closed');
    assert.equal(status.registered, true);
    assert.equal(status.lastError, null);
    assert.ok(!Number.isNaN(Date.parse(String(status.lastSuccess))));
  });

  it('unregisters on drain and registers again on resume', async () => {
    assert.equal((await t.adminFetch('/drain', { method: 'POST' })).status, 200);
    assert.equal((await lb.info())[name], undefined);
    assert.equal((await balancersOf(t))[0]?.registered, false);
    assert.equal((await t.adminFetch('/resume', { method: 'POST' })).status, 200);
    assert.ok((await lb.info())[name]);
  });

  it('registers a HOST without a port with the public port appended', async () => {
    const other = await startTestServer({ HOST: 'http://127.0.0.1', LOADBALANCERS: lb.url, LOADBALANCER_KEY: LB_KEY });
    const expected = `http://127.0.0.1:${other.server.publicPort}`;
    assert.equal(other.server.host, expected);
    await eventually('registration', async () => (await lb.info())[expected]);
    await other.stop();
  });

  it('unregisters on a graceful stop', async () => {
    const other = await startTestServer({ LOADBALANCERS: lb.url, LOADBALANCER_KEY: LB_KEY });
    await eventually('registration', async () => (await lb.info())[other.server.host]);
    await other.stop();
    assert.equal((await lb.info())[other.server.host], undefined);
  });
});

describe('a balancer that fails', async () => {
  const wrongKeyed = await startTestBalancer({ LB_KEY: 'another-key' });
  const env = { MAX_ROOMS: '8', LOADBALANCER_KEY: LB_KEY, LB_HEARTBEAT_S: '1' };
  const faulty = {
    down: { t: await startTestServer({ ...env, LOADBALANCERS: await downUrl() }), error: /ECONNREFUSED/ },
    'answering 500': { t: await startTestServer({ ...env, LOADBALANCERS: await failingUrl() }), error: /HTTP 500/ },
    // Each heartbeat is an open circuit's trial: with a call that lasts its whole timeout (1 s), a 1 s beat
    // would keep this circuit half-open nearly all the time. A 3 s beat leaves it open between trials.
    'never answering': {
      t: await startTestServer({ ...env, LB_HEARTBEAT_S: '3', LOADBALANCERS: await hangingUrl() }),
      error: /timeout/,
    },
    'with another key': {
      t: await startTestServer({ ...env, LOADBALANCERS: wrongKeyed.url }),
      error: /HTTP 400: Not allowed/,
    },
  };

  for (const [what, { t, error }] of Object.entries(faulty)) {
    it(`shows a balancer ${what} as open in /load, and keeps serving`, async () => {
      const status = await eventually(
        'the circuit to open',
        async () => {
          const [s] = await balancersOf(t);
          return s?.state === 'open' ? s : undefined;
        },
        // Three failed calls, each up to OUTBOUND_TIMEOUT_MS, a beat apart: a bound for a busy machine.
        30_000,
      );
      assert.match(String(status.lastError), error);
      assert.equal(status.lastSuccess, null);
      assert.equal(status.registered, false);
      assert.equal((await t.publicFetch('/health', { key: null })).status, 200);
    });
  }

  it('logs a failing balancer once, not once per heartbeat or room change', async () => {
    const { logger, lines } = capturingLogger('debug');
    const range = roomPortRange(77);
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      ADMIN_PORT: '0',
      KEY,
      ADMIN_KEY,
      MAX_ROOMS: '8',
      ROOM_PORT_MIN: String(range.min),
      ROOM_PORT_MAX: String(range.max),
      LOADBALANCERS: await downUrl(),
      LOADBALANCER_KEY: LB_KEY,
      LB_HEARTBEAT_S: '1',
      DATA_DIR: freshDataDir(),
    });
    const server = await startChatServer(config, logger);
    after(() => server.stop(0, 'test finished'));
    const calls = () => server.balancers.calls.ok + server.balancers.calls.failed + server.balancers.calls.refused;
    for (let i = 0; i < 8; i++) {
      const before = calls();
      await server.rooms.create(`quiet${i}`);
      // Each room change is its own call (made or refused), not a burst folded into one.
      await eventually(`the call after room ${i}`, () => calls() > before);
    }
    await eventually('the circuit to open', () => server.balancers.status()[0]?.state === 'open');
    // Two more heartbeats while the balancer stays down: still the one line.
    const opened = calls();
    await eventually('two more heartbeats', () => calls() >= opened + 2, 5_000);
    const about = lines.filter((l) => l.component === 'loadbalancers' && (l.level === 'warn' || l.level === 'error'));
    assert.equal(about.length, 1, JSON.stringify(about));
    assert.match(String(about[0]?.message), /failing/);
  });
});

describe('load-balancer client recovery', () => {
  it('calls a balancer again after the cool-down and logs each change of state once', async () => {
    let broken = true;
    let calls = 0;
    const balancer = createServer((_req, res) => {
      calls++;
      res.statusCode = broken ? 500 : 200;
      res.setHeader('Content-Type', 'application/json');
      res.end(broken ? '{"status":"error","message":"down"}' : '{"status":"ok","message":"Registered"}');
    });
    await new Promise<void>((r) => balancer.listen(0, '127.0.0.1', r));
    after(() => new Promise<void>((r) => balancer.close(() => r())));
    const url = `http://127.0.0.1:${(balancer.address() as AddressInfo).port}`;
    const rooms = Object.assign(new EventEmitter<RoomsEvents>(), { slots: 4, roomCount: 0 });
    const { logger, lines } = capturingLogger('debug');
    const client = new LbClient({
      urls: [url],
      key: 'k',
      heartbeatS: 3600,
      version: '1.0.0',
      host: () => 'http://127.0.0.1:1',
      rooms,
      logger,
      coolDownMs: 200,
    });
    after(() => client.stop(100));
    client.start();
    const changed = () => rooms.emit('roomOpened', 'r', 1);
    await eventually('the circuit to open', async () => {
      changed();
      return client.status()[0]?.state === 'open' ? true : undefined;
    });
    const callsWhenOpened = calls;
    const refusedBefore = client.calls.refused;
    changed();
    await eventually('the change to be refused', () => client.calls.refused > refusedBefore);
    assert.equal(calls, callsWhenOpened, 'an open circuit still called the balancer');
    broken = false;
    await eventually('the circuit to close', async () => {
      changed();
      return client.status()[0]?.state === 'closed' ? true : undefined;
    });
    const messages = lines.filter((l) => l.level !== 'debug').map((l) => l.message);
    assert.deepEqual(messages, [
      'Load balancer failing; pausing calls to it',
      'Load balancer answering again',
      'Registered with load balancer',
    ]);
  });
});

describe('a balancer that restarts', () => {
  /** A balancer service on `port` (0: any), closed after the file if the test has not closed it. */
  async function balancerOn(port: number): Promise<LoadBalancerService> {
    const config = loadLbConfig({ LB_PORT: String(port), LB_BIND: '127.0.0.1', LB_KEY });
    const service = new LoadBalancerService(config, testLogger(), '0.0.0-test');
    await service.listen();
    after(() => service.close());
    return service;
  }
  const listed = async (service: LoadBalancerService, name: string) => {
    const res = await fetch(`http://127.0.0.1:${service.port}/info/json`, { headers: { 'X-API-Key': LB_KEY } });
    return ((await res.json()) as { message: Record<string, unknown> }).message[name] !== undefined;
  };

  it('a balancer restarted is listed again within two heartbeats', async () => {
    const first = await balancerOn(0);
    const url = `http://127.0.0.1:${first.port}`;
    const { logger, lines } = capturingLogger('info');
    const t = await startTestServer({ LOADBALANCERS: url, LOADBALANCER_KEY: LB_KEY, LB_HEARTBEAT_S: '1' }, { logger });
    const name = t.server.host;
    await eventually('registration', () => listed(first, name));
    await first.close();
    // Three failed heartbeats open the circuit: /load no longer calls it registered.
    const open = await eventually(
      'the circuit to open',
      async () => {
        const [status] = await balancersOf(t);
        return status?.state === 'open' ? status : undefined;
      },
      15_000,
    );
    assert.equal(open.registered, false);

    const second = await balancerOn(first.port);
    const { calls } = t.server.balancers;
    const heartbeatsBefore = calls.ok + calls.failed + calls.refused;
    await eventually('listed on the restarted balancer', () => listed(second, name), 15_000);
    const heartbeats = calls.ok + calls.failed + calls.refused - heartbeatsBefore;
    assert.ok(heartbeats <= 2, `listed after ${heartbeats} heartbeats`);
    const [status] = await balancersOf(t);
    assert.equal(status?.state, 'closed');
    assert.equal(status?.registered, true);
    const messages = lines.filter((l) => l.component === 'loadbalancers').map((l) => l.message);
    assert.deepEqual(messages, [
      'Registered with load balancer',
      'Load balancer failing; pausing calls to it',
      'Load balancer answering again',
      'Registered with load balancer again',
    ]);
  });
});
