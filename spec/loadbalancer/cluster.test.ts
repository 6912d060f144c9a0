/**
 * The whole system from one checkout: two load balancers and two chat servers,
 * each a real process on loopback with free ports, as an operator would run them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerEntry } from '../../src/loadbalancer/registry.js';
import { medianCreateMs } from '../helpers/create-timing.js';
import { downUrl, failingUrl, hangingUrl } from '../helpers/fake-services.js';
import { type ChatServerProcess, LB_MAIN, type NodeProcess, spawnChatServer, spawnNode } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';

const LB_KEY = 'cluster-lb-key';
const KEY = 'cluster-key';
const ADMIN_KEY = 'cluster-admin-key';
const EXPIRY_S = 3;

interface Balancer {
  proc: NodeProcess;
  url: string;
}

/** A chat server process and the HOST it registers under. */
interface ChatServer extends ChatServerProcess {
  host: string;
}

async function startBalancer(): Promise<Balancer> {
  const proc = await spawnNode(LB_MAIN, { LB_PORT: '0', LB_BIND: '127.0.0.1', LB_KEY, LB_EXPIRY_S: String(EXPIRY_S) });
  return { proc, url: `http://127.0.0.1:${String(proc.listening.port)}` };
}

async function startChatServer(
  balancers: Balancer[],
  offset: number,
  env: Record<string, string> = {},
): Promise<ChatServer> {
  const proc = await spawnChatServer(
    {
      KEY,
      ADMIN_KEY,
      MAX_ROOMS: '3',
      LOADBALANCERS: balancers.map((b) => b.url).join(','),
      LOADBALANCER_KEY: LB_KEY,
      LB_HEARTBEAT_S: '1',
      SHUTDOWN_TIMEOUT_MS: '3000',
      ...env,
    },
    { offset: 100 + offset },
  );
  return Object.assign(proc, { host: String(proc.listening.host) });
}

async function lbGet(b: Balancer, path: string): Promise<unknown> {
  const res = await fetch(`${b.url}${path}`, { headers: { 'X-API-Key': LB_KEY } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { message: unknown }).message;
}
const info = (b: Balancer) => lbGet(b, '/info/json') as Promise<Record<string, ServerEntry>>;

describe('two balancers and two chat servers', async () => {
  const balancers = [await startBalancer(), await startBalancer()];
  const [a, b] = [await startChatServer(balancers, 0), await startChatServer(balancers, 1)];
  const version = String(((await (await fetch(`${a.api}/`)).json()) as { data: { version: string } }).data.version);

  it('lists both servers in both balancers with their slots, rooms and version', async () => {
    for (const lb of balancers) {
      const registry = await eventually('both servers registered', async () => {
        const now = await info(lb);
        return now[a.host] && now[b.host] ? now : undefined;
      });
      for (const server of [a, b])
        assert.deepEqual(
          { ...registry[server.host], timestamp: 0 },
          { name: server.host, cpus: 3, rooms: 0, version, timestamp: 0, capacity: 3 },
        );
    }
  });

  it('names the other server in /find once rooms are created on one', async () => {
    for (const name of ['one', 'two']) await a.createRoom(name);
    for (const lb of balancers) {
      await eventually('the new room count', async () => ((await info(lb))[a.host]?.rooms === 2 ? true : undefined));
      assert.equal(await lbGet(lb, `/find/${version}`), b.host);
    }
  });

  it('removes a drained server from both balancers at once', async () => {
    const res = await a.adminFetch('/drain', { method: 'POST' });
    assert.equal(res.status, 200);
    for (const lb of balancers) {
      const registry = await info(lb);
      assert.equal(registry[a.host], undefined);
      assert.ok(registry[b.host]);
    }
  });

  it('drops a server killed with SIGKILL once the expiry has passed', async () => {
    await b.kill('SIGKILL');
    for (const lb of balancers) {
      await eventually(
        'the killed server to expire',
        async () => ((await info(lb))[b.host] ? undefined : true),
        (EXPIRY_S + 5) * 1000,
      );
      assert.equal(await lbGet(lb, `/find/${version}`), '');
      assert.ok(lb.proc.lines.some((l) => l.message === 'Chat server expired: no heartbeat' && l.server === b.host));
    }
  });

  it('stops every process cleanly on SIGTERM', async () => {
    assert.equal(await a.stop(), 0);
    for (const lb of balancers) assert.equal(await lb.proc.kill('SIGTERM'), 0);
  });
});

describe('a balancer that is down, answers 500, never answers or refuses the key', async () => {
  const real = await startBalancer();
  const noBalancer = { LOADBALANCERS: '', LOADBALANCER_KEY: '' };
  const servers = {
    none: await startChatServer([], 10, { ...noBalancer, MAX_ROOMS: '8' }),
    down: await startChatServer([{ url: await downUrl() } as Balancer], 11, { MAX_ROOMS: '8' }),
    'answering 500': await startChatServer([{ url: await failingUrl() } as Balancer], 12, { MAX_ROOMS: '8' }),
    'never answering': await startChatServer([{ url: await hangingUrl() } as Balancer], 13, { MAX_ROOMS: '8' }),
    'with another key': await startChatServer([real], 14, { MAX_ROOMS: '8', LOADBALANCER_KEY: 'not-the-key' }),
  };

  it('leaves room creation as fast as with no balancer at all', async (ctx) => {
    const [baseline, ...others] = await medianCreateMs(Object.values(servers), 'speed');
    for (const [i, what] of Object.keys(servers).slice(1).entries()) {
      const ms = others[i]!;
      ctx.diagnostic(
        `balancer ${what}: median create ${ms.toFixed(1)} ms; without balancers ${baseline!.toFixed(1)} ms`,
      );
      // A create that waited on the 1 s balancer call would be many times slower.
      assert.ok(ms / baseline! < 4, `balancer ${what}: ${ms.toFixed(1)} ms vs ${baseline!.toFixed(1)} ms`);
    }
    assert.deepEqual(await info(real), {}, 'the balancer took a registration with the wrong key');
  });

  it('keeps every server running and stopping cleanly', async () => {
    for (const server of Object.values(servers)) {
      assert.equal((await fetch(`${server.api}/health`)).status, 200);
      assert.equal(await server.stop(), 0);
    }
    assert.equal(await real.proc.kill('SIGTERM'), 0);
  });
});
